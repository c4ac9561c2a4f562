/*
 * test_store_dynamodb.c - every operation of the DynamoDB store (store_dynamodb.c) against a
 * local dynalite: artifacts (insert, get, update, remove, list, scan, generation, count, reset),
 * READMEs of up to 1 MB split into chunks, users, tokens, audit entries and the token secret;
 * then what only a shared store has: opening creates the table, a second open (another worker or
 * host) sees the first one's data, and processes racing on one token, one URL or the last admin.
 * What the interface promises of every backend is the store contract (store_contract.c), run
 * here on a fresh table per case; this file adds what is DynamoDB's own.
 *
 * The server: REGISTRY_TEST_DYNAMODB_ENDPOINT (http://127.0.0.1:<port>), which
 * scripts/run-unit.sh sets after starting one in-memory dynalite for the unit run. Every test
 * works on a table of its own, "unit-<pid>-<n>", created by the open, so tests are independent
 * and no test cleans up (dynalite forgets everything when it stops).
 */
#include "unit.h"

#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/users.h"
#include "aws/dynamodb.h"
#include "base/str.h"
#include "core/audit.h"
#include "store/store.h"
#include "store/store_contract.c"

#define ENDPOINT_ENV "REGISTRY_TEST_DYNAMODB_ENDPOINT"
/* store_dynamodb.c's CHUNK_BYTES: the most README bytes one chunk item holds (the first holds
 * at most REG_SEARCH_README_MAX, what search reads). */
#define CHUNK_BYTES 300000

static const char *endpoint;
static int tables;

struct fixture {
    struct contract c; /* first: the contract cases find the store at the start */
    struct reg_config cfg;
    char table[64];
};

/* A configuration for table on the test server, with fixed test credentials. */
static void
config(struct reg_config *cfg, const char *table)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->store = "dynamodb";
    cfg->data_dir = "/nonexistent";
    cfg->dynamodb_table = table;
    cfg->dynamodb_endpoint = endpoint;
    cfg->aws_region = "us-east-1";
    cfg->aws_access_key_id = "AKIDUNITTEST";
    cfg->aws_secret_access_key = "unit/test/secret/key";
    cfg->aws_session_token = NULL;
}

static void
new_table_name(char *out, size_t cap)
{
    snprintf(out, cap, "unit-%ld-%d", (long)getpid(), ++tables);
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    enum reg_status st;

    assert_non_null(f);
    reg_arena_init(&f->c.arena);
    new_table_name(f->table, sizeof(f->table));
    config(&f->cfg, f->table);
    st = reg_store_dynamodb_open(&f->cfg, &f->c.store);
    if (st != REG_OK)
        fail_msg("reg_store_dynamodb_open(%s at %s): status %d (%s)", f->table, endpoint, st,
                 reg_error_detail());
    assert_non_null(f->c.store);
    assert_string_equal(f->c.store->ops->name, "dynamodb");
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    reg_store_close(f->c.store);
    reg_arena_cleanup(&f->c.arena);
    free(f);
    return 0;
}

/* Another store on the fixture's table: what a second worker or host opens. */
static struct reg_store *
open_other(struct fixture *f)
{
    struct reg_store *s = NULL;

    assert_int_equal(reg_store_dynamodb_open(&f->cfg, &s), REG_OK);
    assert_non_null(s);
    return s;
}

static double
now_seconds(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------------------ artifacts */

struct many_ctx {
    int calls;
    int bad;
    int64_t last_seq;
};

/* Each artifact "n-NNN" (id "sNNN") has a SCAN_README_BYTES README starting with 'A' + NNN % 26. */
#define SCAN_README_BYTES 40000

static enum reg_status
many_fn(void *p, const struct reg_artifact *art)
{
    struct many_ctx *c = p;

    CHECK(&c->bad, art->seq > c->last_seq, "%s: seq %lld after %lld", art->name,
          (long long)art->seq, (long long)c->last_seq);
    c->last_seq = art->seq;
    CHECK(&c->bad, art->readme == NULL, "%s: the scan passes a README", art->name);
    c->calls++;
    return REG_OK;
}

static enum reg_status
many_readme_fn(void *p, const char *id, const char *text, size_t len)
{
    struct many_ctx *c = p;
    int i = atoi(id + 1);

    CHECK(&c->bad,
          len == SCAN_README_BYTES && text[0] == (char)('A' + i % 26) && text[1] == 'b' &&
              text[len - 1] == (char)('a' + (SCAN_README_BYTES - 1) % 26),
          "%s: README of %zu bytes, want %d", id, len, SCAN_README_BYTES);
    c->calls++;
    return REG_OK;
}

/* Scan and the search feed over more items than one Scan page (dynalite, like DynamoDB,
 * answers at most about 1 MB per page): 60 artifacts with 40 KB READMEs, 2.4 MB in all. */
static void
test_scan_many_pages(void **state)
{
    struct fixture *f = *state;
    struct many_ctx ctx = {0, 0, 0};
    char *text = reg_arena_alloc(&f->c.arena, SCAN_README_BYTES + 1);
    int n = 60;
    enum reg_status st;

    for (size_t i = 0; i < SCAN_README_BYTES; i++)
        text[i] = (char)('a' + (char)(i % 26));
    text[SCAN_README_BYTES] = '\0';
    for (int i = 0; i < n; i++) {
        struct reg_artifact art =
            sc_make(&f->c, reg_arena_sprintf(&f->c.arena, "s%d", i), REG_TYPE_MODEL,
                    reg_arena_sprintf(&f->c.arena, "n-%03d", i),
                    reg_arena_sprintf(&f->c.arena, "https://example/s%d", i));
        bool taken;
        text[0] = (char)('A' + i % 26);
        art.readme = text;
        assert_int_equal(reg_store_insert(f->c.store, &art, &taken), REG_OK);
    }
    st = reg_store_scan(f->c.store, many_fn, &ctx);
    if (st != REG_OK)
        fail_msg("scan of %d artifacts with %d-byte READMEs: status %d (%s)", n, SCAN_README_BYTES,
                 st, reg_error_detail());
    assert_int_equal(ctx.bad, 0);
    assert_int_equal(ctx.calls, n);
    ctx = (struct many_ctx){0, 0, 0};
    st = reg_store_readmes(f->c.store, REG_SEARCH_README_MAX, many_readme_fn, &ctx);
    if (st != REG_OK)
        fail_msg("search feed of %d %d-byte READMEs: status %d (%s)", n, SCAN_README_BYTES, st,
                 reg_error_detail());
    assert_int_equal(ctx.bad, 0);
    assert_int_equal(ctx.calls, n);
}

/* ------------------------------------------------------------------------- large READMEs */

/* text (len bytes, in the arena): prefix ASCII bytes, then "é€😀" repeated, then ASCII up to
 * len. */
static char *
utf8_text(struct reg_arena *a, size_t len, size_t prefix)
{
    static const char pattern[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* é € 😀 */
    size_t plen = sizeof(pattern) - 1;
    char *t = reg_arena_alloc(a, len + 1);
    size_t i = 0;

    for (; i < prefix && i < len; i++)
        t[i] = 'x';
    for (; i + plen <= len; i += plen)
        memcpy(t + i, pattern, plen);
    for (; i < len; i++)
        t[i] = 'y';
    t[len] = '\0';
    return t;
}

/* How many of the places where the store cuts text into chunks (REG_SEARCH_README_MAX, then
 * CHUNK_BYTES pieces) fall inside a UTF-8 character (the store backs up to the character's
 * start); *cuts is the number of cuts. */
static int
straddled_cuts(const char *text, size_t len, int *cuts)
{
    size_t pos = 0;
    int straddled = 0;

    *cuts = 0;
    while (len - pos > (pos == 0 ? REG_SEARCH_README_MAX : CHUNK_BYTES)) {
        size_t n = pos == 0 ? REG_SEARCH_README_MAX : CHUNK_BYTES;
        straddled += ((unsigned char)text[pos + n] & 0xc0) == 0x80;
        while (((unsigned char)text[pos + n] & 0xc0) == 0x80)
            n--;
        pos += n;
        (*cuts)++;
    }
    return straddled;
}

/* A text of len bytes (in the arena) whose every chunk cut straddles a character. */
static char *
straddling_text(struct reg_arena *a, size_t len)
{
    for (size_t prefix = 0; prefix < 9; prefix++) {
        char *t = utf8_text(a, len, prefix);
        int cuts, straddled = straddled_cuts(t, len, &cuts);
        if (cuts >= 3 && straddled == cuts)
            return t;
    }
    fail_msg("no prefix makes every chunk cut of a %zu-byte text straddle a character", len);
    return NULL;
}

/* The README prefix the search feed passes for id ("" if it passes none), copied to the
 * arena. */
struct find_ctx {
    struct reg_arena *arena;
    const char *id;
    const char *readme;
    bool found;
};

static enum reg_status
find_fn(void *p, const char *id, const char *text, size_t len)
{
    struct find_ctx *c = p;

    if (strcmp(id, c->id) == 0) {
        c->found = true;
        c->readme = reg_arena_strndup(c->arena, text, len);
    }
    return REG_OK;
}

static const char *
fed_readme(struct fixture *f, const char *id)
{
    struct find_ctx fc = {&f->c.arena, id, "", false};

    assert_int_equal(reg_store_readmes(f->c.store, REG_SEARCH_README_MAX, find_fn, &fc), REG_OK);
    return fc.readme;
}

/* The first byte where got and want differ, for a readable failure. */
static void
assert_same_text(const char *what, const char *got, const char *want)
{
    size_t gl, wl, i = 0;

    if (!got)
        fail_msg("%s: NULL, want %zu bytes", what, strlen(want));
    gl = strlen(got);
    wl = strlen(want);
    while (i < gl && i < wl && got[i] == want[i])
        i++;
    if (gl != wl || i != wl)
        fail_msg("%s: %zu bytes, want %zu; first difference at byte %zu", what, gl, wl, i);
}

/* A README of len bytes round-trips byte for byte through insert, get and scan; updates to a
 * shorter README (one chunk, then none, then two) leave no stale chunk. */
static void
readme_round_trip(struct fixture *f, size_t len)
{
    char *big = straddling_text(&f->c.arena, len);
    struct reg_artifact art = sc_make(&f->c, "big", REG_TYPE_MODEL, "big", "https://example/big");
    struct reg_artifact got;
    struct find_ctx fc = {&f->c.arena, "big", NULL, false};
    bool taken;
    enum reg_status st;

    sc_put(&f->c, "small-1", REG_TYPE_MODEL, "s1");
    art.readme = big;
    assert_int_equal(reg_store_insert(f->c.store, &art, &taken), REG_OK);
    sc_put(&f->c, "small-2", REG_TYPE_MODEL, "s2");
    st = reg_store_get(f->c.store, &f->c.arena, "big", &got);
    if (st != REG_OK)
        fail_msg("get of an artifact with a %zu-byte README: status %d (%s)", len, st,
                 reg_error_detail());
    assert_same_text("README from get", got.readme, big);
    assert_string_equal(got.name, "big");
    /* The search feed: the searchable prefix, from the first chunk alone. */
    st = reg_store_readmes(f->c.store, REG_SEARCH_README_MAX, find_fn, &fc);
    if (st != REG_OK)
        fail_msg("search feed with a %zu-byte README: status %d (%s)", len, st, reg_error_detail());
    assert_true(fc.found);
    assert_same_text(
        "README from the search feed", fc.readme,
        reg_arena_strndup(&f->c.arena, big, reg_str_utf8_cut(big, len, REG_SEARCH_README_MAX)));

    /* Shorter: one chunk. */
    art.readme = "short \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    assert_int_equal(reg_store_update(f->c.store, &art), REG_OK);
    assert_string_equal(sc_readme_of(&f->c, "big"), "short \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    assert_string_equal(fed_readme(f, "big"), "short \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    /* None. */
    art.readme = NULL;
    assert_int_equal(reg_store_update(f->c.store, &art), REG_OK);
    assert_string_equal(sc_readme_of(&f->c, "big"), "(null)");
    /* Two chunks: exactly the first CHUNK_BYTES + 10 bytes of the big text, then back to a
     * short one. */
    {
        size_t cut = CHUNK_BYTES + 10;
        while (((unsigned char)big[cut] & 0xc0) == 0x80)
            cut--;
        big[cut] = '\0';
        art.readme = big;
        assert_int_equal(reg_store_update(f->c.store, &art), REG_OK);
        assert_int_equal(reg_store_get(f->c.store, &f->c.arena, "big", &got), REG_OK);
        assert_same_text("two-chunk README from get", got.readme, big);
        art.readme = "tiny";
        assert_int_equal(reg_store_update(f->c.store, &art), REG_OK);
        assert_string_equal(sc_readme_of(&f->c, "big"), "tiny");
    }
    /* The neighbours are untouched. */
    assert_string_equal(sc_readme_of(&f->c, "small-1"), "(null)");
    assert_string_equal(sc_readme_of(&f->c, "small-2"), "(null)");
    /* Removal takes every chunk with it: the id comes back without a README. */
    assert_int_equal(reg_store_remove(f->c.store, "big"), REG_OK);
    art.readme = NULL;
    assert_int_equal(reg_store_insert(f->c.store, &art, &taken), REG_OK);
    assert_string_equal(sc_readme_of(&f->c, "big"), "(null)");
}

/* 1 MB (10^6 bytes): five chunks, each cut inside a multi-byte character. */
static void
test_readme_1mb(void **state)
{
    readme_round_trip(*state, 1000000);
}

/* REG_README_MAX (1 MiB) bytes, the longest README the registry keeps. */
static void
test_readme_max(void **state)
{
    readme_round_trip(*state, REG_README_MAX);
}

/* A source URL of REG_URL_MAX bytes is valid (reg_artifact_source_parse accepts it): the store
 * registers it and enforces its uniqueness like any other. */
static void
test_longest_url(void **state)
{
    struct fixture *f = *state;
    char *url = reg_arena_alloc(&f->c.arena, REG_URL_MAX + 1);
    struct reg_artifact art, got;
    bool taken = true;
    enum reg_status st;
    size_t n;

    n = (size_t)snprintf(url, REG_URL_MAX + 1, "https://huggingface.co/org/");
    memset(url + n, 'm', REG_URL_MAX - n);
    url[REG_URL_MAX] = '\0';
    art = sc_make(&f->c, "long", REG_TYPE_MODEL, "long", url);
    st = reg_store_insert(f->c.store, &art, &taken);
    if (st != REG_OK)
        fail_msg("insert with a %d-byte url: status %d (%s)", REG_URL_MAX, st, reg_error_detail());
    assert_int_equal(reg_store_get(f->c.store, &f->c.arena, "long", &got), REG_OK);
    assert_string_equal(got.url, url);
    art = sc_make(&f->c, "long2", REG_TYPE_MODEL, "long", url);
    assert_int_equal(reg_store_insert(f->c.store, &art, &taken), REG_ECONFLICT);
    assert_false(taken);
}

/* -------------------------------------------------------------------------------- opening */

/* DescribeTable of table with a client of the test's own: REG_ENOTFOUND while it does not
 * exist; on REG_OK, *indexes is the number of global secondary indexes. */
static enum reg_status
describe(const char *table, int *indexes)
{
    struct reg_dynamodb_config dc = {endpoint, "us-east-1", "AKIDUNITTEST", "unit/test/secret/key",
                                     NULL};
    struct reg_dynamodb *c;
    struct reg_arena a;
    struct json_object *req, *resp, *t, *ix;
    enum reg_status st;

    *indexes = 0;
    assert_int_equal(reg_dynamodb_new(&dc, &c), REG_OK);
    reg_arena_init(&a);
    req = reg_arena_own_json(&a, json_object_new_object());
    json_object_object_add(req, "TableName", json_object_new_string(table));
    st = reg_dynamodb_call(c, &a, "DescribeTable", req, &resp);
    if (st == REG_OK && json_object_object_get_ex(resp, "Table", &t) &&
        json_object_object_get_ex(t, "GlobalSecondaryIndexes", &ix))
        *indexes = (int)json_object_array_length(ix);
    reg_arena_cleanup(&a);
    reg_dynamodb_free(c);
    return st;
}

static void
test_open_creates_table(void **state)
{
    struct reg_config cfg;
    struct reg_store *s = NULL;
    char table[64];
    int indexes;

    (void)state;
    new_table_name(table, sizeof(table));
    config(&cfg, table);
    assert_int_equal(describe(table, &indexes), REG_ENOTFOUND);
    assert_int_equal(reg_store_dynamodb_open(&cfg, &s), REG_OK);
    assert_non_null(s);
    assert_int_equal(describe(table, &indexes), REG_OK);
    assert_int_equal(indexes, 2);
    /* The new table is empty and usable at once. */
    {
        int64_t n = -1;
        uint64_t g = 1;
        assert_int_equal(reg_store_count(s, &n), REG_OK);
        assert_true(n == 0);
        assert_int_equal(reg_store_generation(s, &g), REG_OK);
        assert_true(g == 0);
    }
    reg_store_close(s);
    /* Through reg_store_open, as registryd opens it. */
    assert_int_equal(reg_store_open(&cfg, &s), REG_OK);
    assert_non_null(s);
    assert_string_equal(s->ops->name, "dynamodb");
    reg_store_close(s);
}

/* A second open of the same table (another worker, another host) sees the first one's data and
 * secret, and each sees the other's writes. */
static void
test_open_twice(void **state)
{
    struct fixture *f = *state;
    struct reg_store *other;
    struct reg_artifact art = sc_make(&f->c, "42", REG_TYPE_DATASET, "squad",
                                      "https://huggingface.co/datasets/rajpurkar/squad");
    struct reg_artifact got;
    struct reg_user u = {"alice", true, REG_PERM_ALL, "rec"}, gu;
    unsigned char a[32], b[32], out[32];
    bool taken;
    int64_t n = -1, uses;
    int64_t seq;

    memset(a, 0xa1, sizeof(a));
    memset(b, 0xb2, sizeof(b));
    art.readme = "persisted readme";
    assert_int_equal(reg_store_insert(f->c.store, &art, &taken), REG_OK);
    seq = art.seq;
    assert_int_equal(reg_store_secret(f->c.store, a, out), REG_OK);
    assert_int_equal(reg_store_user_insert(f->c.store, &u), REG_OK);
    assert_int_equal(reg_store_token_insert(f->c.store, "t1", "alice"), REG_OK);
    assert_int_equal(reg_store_token_use(f->c.store, "alice", "t1", 10, &uses), REG_OK);

    other = open_other(f);
    assert_int_equal(reg_store_count(other, &n), REG_OK);
    assert_true(n == 1);
    assert_int_equal(reg_store_get(other, &f->c.arena, "42", &got), REG_OK);
    assert_string_equal(got.name, "squad");
    assert_string_equal(got.readme, "persisted readme");
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(other, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    assert_int_equal(reg_store_user_get(other, &f->c.arena, "alice", &gu), REG_OK);
    assert_true(gu.is_admin);
    assert_int_equal(reg_store_token_use(other, "alice", "t1", 10, &uses), REG_OK);
    assert_true(uses == 2);
    /* Constraints hold across them, and seq keeps growing. */
    art = sc_make(&f->c, "44", REG_TYPE_DATASET, "dup",
                  "https://huggingface.co/datasets/rajpurkar/squad");
    assert_int_equal(reg_store_insert(other, &art, &taken), REG_ECONFLICT);
    assert_false(taken);
    art = sc_make(&f->c, "45", REG_TYPE_MODEL, "n", "https://example/45");
    assert_int_equal(reg_store_insert(other, &art, &taken), REG_OK);
    assert_true(art.seq > seq);
    assert_int_equal(sc_count(&f->c), 2);
    assert_int_equal(reg_store_remove(other, "42"), REG_OK);
    assert_int_equal(reg_store_get(f->c.store, &f->c.arena, "42", &got), REG_ENOTFOUND);
    /* The last admin is one for both. */
    u.is_admin = false;
    u.perms = REG_PERM_SEARCH;
    assert_int_equal(reg_store_user_update(other, &u), REG_ECONFLICT);
    reg_store_close(other);
}

static void
test_open_refuses_plain_http_elsewhere(void **state)
{
    static const char *const refused[] = {
        "http://192.0.2.1:8000",
        "http://dynamodb.us-east-1.amazonaws.com",
        "http://10.0.0.1",
        "HTTP://192.0.2.1/",
        "http://[2001:db8::1]:8000",
        /* Hosts that only begin like a loopback address. */
        "http://127.0.0.1.invalid:8000",
        "http://127.0.0.1@192.0.2.1:8000",
        "http://localhost.invalid",
        /* Not an http(s) URL at all. */
        "ftp://127.0.0.1:8000",
        "127.0.0.1:8000",
        "http://",
    };
    struct reg_config cfg;
    char table[64];
    int bad = 0;

    (void)state;
    new_table_name(table, sizeof(table));
    config(&cfg, table);
    for (int i = 0; i < NELEMS(refused); i++) {
        static struct reg_store dummy;
        struct reg_store *s = &dummy;
        double t0 = now_seconds(), took;
        enum reg_status st;
        cfg.dynamodb_endpoint = refused[i];
        st = reg_store_dynamodb_open(&cfg, &s);
        took = now_seconds() - t0;
        CHECK(&bad, st == REG_EINVAL && s == NULL,
              "endpoint %s: status %d (%s) after %.2f s, want REG_EINVAL and no network",
              refused[i], st, reg_error_detail(), took);
        if (st == REG_OK)
            reg_store_close(s);
        CHECK(&bad, took < 0.5, "endpoint %s: %.2f s, want no network call", refused[i], took);
    }
    assert_int_equal(bad, 0);
}

/* A loopback port with nothing listening: REG_EUNAVAILABLE after the client's few quick
 * retries. */
static void
test_open_dead_endpoint(void **state)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    struct reg_config cfg;
    static struct reg_store dummy;
    struct reg_store *s = &dummy;
    char table[64], dead[64];
    double t0, took;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    enum reg_status st;

    (void)state;
    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", ntohs(sa.sin_port));
    new_table_name(table, sizeof(table));
    config(&cfg, table);
    cfg.dynamodb_endpoint = dead;
    t0 = now_seconds();
    st = reg_store_dynamodb_open(&cfg, &s);
    took = now_seconds() - t0;
    if (st != REG_EUNAVAILABLE)
        fail_msg("open on %s (nothing listening): status %d (%s), want REG_EUNAVAILABLE", dead, st,
                 reg_error_detail());
    assert_null(s);
    assert_true(strlen(reg_error_detail()) > 0);
    assert_true(took < 5.0);
}

static void
test_open_bad_config(void **state)
{
    struct reg_config cfg;
    static struct reg_store dummy;
    struct reg_store *s = &dummy;
    char table[64];

    (void)state;
    new_table_name(table, sizeof(table));
    /* Table names of 3 to 255 characters. */
    config(&cfg, "ab");
    assert_int_equal(reg_store_dynamodb_open(&cfg, &s), REG_EINVAL);
    assert_null(s);
    /* Credentials are required. */
    config(&cfg, table);
    cfg.aws_access_key_id = NULL;
    s = &dummy;
    assert_int_equal(reg_store_dynamodb_open(&cfg, &s), REG_EINVAL);
    assert_null(s);
    config(&cfg, table);
    cfg.aws_secret_access_key = "";
    s = &dummy;
    assert_int_equal(reg_store_dynamodb_open(&cfg, &s), REG_EINVAL);
    assert_null(s);
    assert_non_null(strstr(reg_error_detail(), "AWS_SECRET_ACCESS_KEY"));
    /* None of that created the table. */
    {
        int indexes;
        assert_int_equal(describe(table, &indexes), REG_ENOTFOUND);
    }
}

/* --------------------------------------------------------------------- one table, two stores */

/* What a second worker or host sees of the generation and the secret: the same counter, and
 * the first secret stored, also after a reset. */
static void
test_shared_generation_and_secret(void **state)
{
    struct fixture *f = *state;
    struct reg_store *other;
    unsigned char a[32], b[32], out[32];
    uint64_t g = 0, mine;

    for (int i = 0; i < 32; i++) {
        a[i] = (unsigned char)(1 + i);
        b[i] = (unsigned char)(100 + i);
    }
    sc_put(&f->c, "1", REG_TYPE_MODEL, "a");
    assert_int_equal(reg_store_remove(f->c.store, "1"), REG_OK);
    assert_int_equal(reg_store_secret(f->c.store, a, out), REG_OK);
    other = open_other(f);
    assert_int_equal(reg_store_generation(other, &g), REG_OK);
    assert_true(g == sc_generation(&f->c));
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(other, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    reg_store_close(other);
    /* After a reset, a store opened anew has the same counter and the same secret. */
    assert_int_equal(reg_store_reset(f->c.store), REG_OK);
    mine = sc_generation(&f->c);
    other = open_other(f);
    assert_int_equal(reg_store_generation(other, &g), REG_OK);
    assert_true(g == mine);
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(other, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    reg_store_close(other);
}

/* A token is its user's: the DynamoDB store keys a token by user and id, so the right id under
 * another user is unknown and spends nothing. (SQLite keys it by id alone, so this is not part
 * of the contract.) */
static void
test_token_is_its_users(void **state)
{
    struct fixture *f = *state;
    int64_t uses;

    sc_add_user(&f->c, "alice", REG_PERM_SEARCH);
    sc_add_user(&f->c, "bob", REG_PERM_SEARCH);
    sc_add_token(&f->c, "t1", "alice");
    assert_int_equal(sc_use(&f->c, "bob", "t1", 100, &uses), REG_EAUTH);
    assert_int_equal(sc_use(&f->c, "nobody", "t1", 100, &uses), REG_EAUTH);
    assert_int_equal(sc_use(&f->c, "alice", "t1", 100, &uses), REG_OK);
    assert_true(uses == 1);
}

/* ---------------------------------------------------------------------- several processes */

/* Forks procs children; each opens its own store on the fixture's table (no connection crosses
 * a fork), waits for the go signal and runs body(s, index), whose return (0..255) is its exit
 * status. Returns the statuses in status[]; a child that could not open exits 255. */
static void
run_children(struct fixture *f, int procs, int (*body)(struct reg_store *, int), int *status)
{
    int go[2];
    pid_t pids[16];

    assert_true(procs <= 16);
    assert_int_equal(pipe(go), 0);
    for (int p = 0; p < procs; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            struct reg_store *s;
            int rc;
            char c;
            /* The store logs its errors; the exit status says enough here. */
            if (!freopen("/dev/null", "w", stderr))
                _exit(255);
            close(go[1]);
            if (reg_store_dynamodb_open(&f->cfg, &s) != REG_OK)
                _exit(255);
            /* Everyone starts when the parent closes the pipe. */
            if (read(go[0], &c, 1) != 0)
                _exit(255);
            rc = body(s, p);
            reg_store_close(s);
            _exit(rc);
        }
    }
    close(go[0]);
    close(go[1]);
    for (int p = 0; p < procs; p++) {
        int st;
        assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
        status[p] = WIFEXITED(st) ? WEXITSTATUS(st) : 256 + WTERMSIG(st);
    }
}

#define PROCS 4
#define USES_EACH 60
#define MAX_USES 150

/* PROCS processes spend USES_EACH uses each of one token whose limit is MAX_USES, all at once:
 * exactly MAX_USES succeed. Exit status: successes, or 200+ on a wrong answer. */
static int
spend(struct reg_store *s, int index)
{
    int ok = 0;

    (void)index;
    for (int i = 0; i < USES_EACH; i++) {
        int64_t n = 0;
        enum reg_status st = reg_store_token_use(s, "alice", "shared", MAX_USES, &n);
        if (st == REG_OK && (n < 1 || n > MAX_USES))
            return 201;
        if (st != REG_OK && st != REG_EAUTH)
            return 202;
        ok += st == REG_OK;
    }
    return ok;
}

static void
test_token_use_across_processes(void **state)
{
    struct fixture *f = *state;
    int status[PROCS], total = 0, bad = 0;
    int64_t uses;

    sc_add_user(&f->c, "alice", REG_PERM_SEARCH);
    sc_add_token(&f->c, "shared", "alice");
    run_children(f, PROCS, spend, status);
    for (int p = 0; p < PROCS; p++) {
        CHECK(&bad, status[p] <= USES_EACH, "process %d: status %d", p, status[p]);
        if (status[p] <= USES_EACH)
            total += status[p];
    }
    assert_int_equal(bad, 0);
    assert_int_equal(total, MAX_USES);
    assert_int_equal(sc_use(&f->c, "alice", "shared", MAX_USES, &uses), REG_EAUTH);
    assert_int_equal(sc_use(&f->c, "alice", "shared", MAX_USES + 1, &uses), REG_OK);
    assert_true(uses == MAX_USES + 1);
}

/* Two processes each remove one of the two admins at the same moment: exactly one succeeds,
 * one admin remains. Exit status 0 removed, 1 refused (REG_ECONFLICT), 2 anything else. */
static int
remove_admin(struct reg_store *s, int index)
{
    enum reg_status st = reg_store_user_remove(s, index % 2 ? "root-b" : "root-a");

    return st == REG_OK ? 0 : st == REG_ECONFLICT ? 1 : 2;
}

static int
demote_admin(struct reg_store *s, int index)
{
    struct reg_user u = sc_user(index % 2 ? "root-b" : "root-a", false, REG_PERM_SEARCH, NULL);
    enum reg_status st = reg_store_user_update(s, &u);

    return st == REG_OK ? 0 : st == REG_ECONFLICT ? 1 : 2;
}

static void
test_last_admin_across_processes(void **state)
{
    struct fixture *f = *state;
    int bad = 0;

    for (int round = 0; round < 4; round++) {
        int status[2];
        assert_int_equal(reg_store_reset(f->c.store), REG_OK);
        sc_add_user(&f->c, "root-a", REG_PERM_ALL);
        sc_add_user(&f->c, "root-b", REG_PERM_ALL);
        run_children(f, 2, round % 2 ? demote_admin : remove_admin, status);
        CHECK(&bad, status[0] + status[1] == 1 && status[0] <= 1 && status[1] <= 1,
              "round %d (%s): exit statuses %d and %d, want one 0 and one 1", round,
              round % 2 ? "demote" : "remove", status[0], status[1]);
        CHECK(&bad, sc_admin_count(&f->c) == 1, "round %d: %d admins remain, want 1", round,
              sc_admin_count(&f->c));
    }
    assert_int_equal(bad, 0);
}

#define RACERS 4

/* RACERS processes register different ids with one url at the same moment (with a README of
 * two chunks, as a registration with a long model card): exactly one may succeed. Exit status
 * 0 registered, 1 refused (url registered), 2 anything else. */
static int
register_same_url(struct reg_store *s, int index)
{
    static char readme[CHUNK_BYTES + 1000];
    struct reg_artifact art;
    bool taken = false;
    enum reg_status st;

    memset(readme, 'r', sizeof(readme) - 1);
    readme[sizeof(readme) - 1] = '\0';
    memset(&art, 0, sizeof(art));
    snprintf(art.id, sizeof(art.id), "racer-%d", index);
    art.type = REG_TYPE_MODEL;
    art.name = "racer";
    art.url = "https://huggingface.co/org/contested";
    art.readme = readme;
    st = reg_store_insert(s, &art, &taken);
    return st == REG_OK ? 0 : st == REG_ECONFLICT && !taken ? 1 : 2;
}

static void
test_same_url_across_processes(void **state)
{
    struct fixture *f = *state;
    int status[RACERS], won = 0, lost = 0;
    struct reg_store_filter byname = {"racer", REG_TYPE_ALL};
    struct reg_store_page page;

    run_children(f, RACERS, register_same_url, status);
    for (int p = 0; p < RACERS; p++) {
        won += status[p] == 0;
        lost += status[p] == 1;
    }
    assert_int_equal(reg_store_list(f->c.store, &f->c.arena, &byname, 1, 0, 10, &page), REG_OK);
    if (won != 1 || lost != RACERS - 1 || page.count != 1)
        fail_msg("%d processes registering one url at once: %d registered, %d refused, %d "
                 "other; %d artifacts with that url exist, want exactly 1",
                 RACERS, won, lost, RACERS - won - lost, page.count);
    assert_int_equal(sc_count(&f->c), 1);
}

/* ------------------------------------------------------------------------ URL claims */

/* Puts the URL claim an insert of (type, url) as id leaves before its artifact item is
 * written, claimed `ago` seconds ago: what a registration in progress, or one that died
 * midway, leaves in the table. The key is store_dynamodb.c's: "U#<type>#<sha256 of url>", "U". */
static void
put_claim(struct fixture *f, enum reg_artifact_type type, const char *url, const char *id,
          int64_t ago)
{
    struct reg_dynamodb_config dc = {endpoint, "us-east-1", "AKIDUNITTEST", "unit/test/secret/key",
                                     NULL};
    struct reg_dynamodb *c;
    struct reg_arena a;
    unsigned char digest[32];
    unsigned int dlen = 0;
    char hex[65], pk[100], when[32];
    struct json_object *req, *item, *resp;

    EVP_Digest(url, strlen(url), digest, &dlen, EVP_sha256(), NULL);
    reg_str_hex(digest, sizeof(digest), hex);
    snprintf(pk, sizeof(pk), "U#%d#%s", (int)type, hex);
    snprintf(when, sizeof(when), "%lld", (long long)time(NULL) - (long long)ago);
    assert_int_equal(reg_dynamodb_new(&dc, &c), REG_OK);
    reg_arena_init(&a);
    req = reg_arena_own_json(&a, json_object_new_object());
    item = json_object_new_object();
#define S(v) json_object_new_string(v)
    json_object_object_add(item, "pk", json_object_new_object());
    json_object_object_add(json_object_object_get(item, "pk"), "S", S(pk));
    json_object_object_add(item, "sk", json_object_new_object());
    json_object_object_add(json_object_object_get(item, "sk"), "S", S("U"));
    json_object_object_add(item, "id", json_object_new_object());
    json_object_object_add(json_object_object_get(item, "id"), "S", S(id));
    json_object_object_add(item, "url", json_object_new_object());
    json_object_object_add(json_object_object_get(item, "url"), "S", S(url));
    json_object_object_add(item, "claim_token", json_object_new_object());
    json_object_object_add(json_object_object_get(item, "claim_token"), "S", S("0123456789abcdef"));
    json_object_object_add(item, "claimed_at", json_object_new_object());
    json_object_object_add(json_object_object_get(item, "claimed_at"), "N", S(when));
#undef S
    json_object_object_add(req, "TableName", json_object_new_string(f->table));
    json_object_object_add(req, "Item", item);
    assert_int_equal(reg_dynamodb_call(c, &a, "PutItem", req, &resp), REG_OK);
    reg_arena_cleanup(&a);
    reg_dynamodb_free(c);
}

/* A URL claimed by a registration in progress (no artifact yet, claimed just now) is refused as
 * registered; a claim left long ago by one that never finished is taken over. */
static void
test_url_claims(void **state)
{
    struct fixture *f = *state;
    static const char url[] = "https://huggingface.co/org/claimed";
    struct reg_artifact art = sc_make(&f->c, "late", REG_TYPE_MODEL, "claimed", url), got;
    bool taken = true;

    put_claim(f, REG_TYPE_MODEL, url, "ghost", 0);
    assert_int_equal(reg_store_insert(f->c.store, &art, &taken), REG_ECONFLICT);
    assert_false(taken);
    assert_non_null(strstr(reg_error_detail(),
                           "a model with url "
                           "https://huggingface.co/org/claimed is already registered"));
    assert_int_equal(reg_store_get(f->c.store, &f->c.arena, "late", &got), REG_ENOTFOUND);

    put_claim(f, REG_TYPE_MODEL, url, "ghost", 3600);
    assert_int_equal(reg_store_insert(f->c.store, &art, &taken), REG_OK);
    assert_int_equal(reg_store_get(f->c.store, &f->c.arena, "late", &got), REG_OK);
    assert_string_equal(got.url, url);
    assert_int_equal(sc_count(&f->c), 1);

    /* The same URL under another type is another claim. */
    art = sc_make(&f->c, "other", REG_TYPE_DATASET, "claimed", url);
    assert_int_equal(reg_store_insert(f->c.store, &art, &taken), REG_OK);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest contract_tests[] = {STORE_CONTRACT_TESTS(setup, teardown)};
    const struct CMUnitTest artifact_tests[] = {
        TEST(test_scan_many_pages),
        TEST(test_readme_1mb),
        TEST(test_readme_max),
        TEST(test_longest_url),
        TEST(test_shared_generation_and_secret),
        TEST(test_token_is_its_users),
        TEST(test_url_claims),
    };
    const struct CMUnitTest open_tests[] = {
        cmocka_unit_test(test_open_creates_table),
        TEST(test_open_twice),
        cmocka_unit_test(test_open_refuses_plain_http_elsewhere),
        cmocka_unit_test(test_open_dead_endpoint),
        cmocka_unit_test(test_open_bad_config),
    };
    const struct CMUnitTest process_tests[] = {
        TEST(test_token_use_across_processes),
        TEST(test_last_admin_across_processes),
        TEST(test_same_url_across_processes),
    };
    int failed;

    endpoint = getenv(ENDPOINT_ENV);
    if (!endpoint || !*endpoint) {
        fprintf(stderr,
                "test_store_dynamodb: %s is not set. These tests need a local DynamoDB "
                "(dynalite); run them through scripts/run-unit.sh (`make unit`), which starts "
                "one and sets %s=http://127.0.0.1:<port>.\n",
                ENDPOINT_ENV, ENDPOINT_ENV);
        return 1;
    }
    failed = cmocka_run_group_tests_name("store/dynamodb contract", contract_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("store/dynamodb own", artifact_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("store/dynamodb open", open_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("store/dynamodb processes", process_tests, NULL, NULL);
    return failed;
}
