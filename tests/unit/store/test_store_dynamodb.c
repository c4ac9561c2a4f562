/*
 * test_store_dynamodb.c - every operation of the DynamoDB store (store_dynamodb.c) against a
 * local dynalite: artifacts (insert, get, update, remove, list, scan, generation, count, reset),
 * READMEs of up to 1 MB split into chunks, users, tokens, audit entries and the token secret;
 * then what only a shared store has: opening creates the table, a second open (another worker or
 * host) sees the first one's data, and processes racing on one token, one URL or the last admin.
 * Mirrors test_store_sqlite.c and test_store_auth.c where the behaviour is the interface's.
 *
 * The server: REGISTRY_TEST_DYNAMODB_ENDPOINT (http://127.0.0.1:<port>), which
 * scripts/run-unit.sh sets after starting one in-memory dynalite for the unit run. Every test
 * works on a table of its own, "unit-<pid>-<n>", created by the open, so tests are independent
 * and no test cleans up (dynalite forgets everything when it stops).
 */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/users.h"
#include "aws/dynamodb.h"
#include "core/audit.h"
#include "store/store.h"

#define ENDPOINT_ENV "REGISTRY_TEST_DYNAMODB_ENDPOINT"
/* store_dynamodb.c's CHUNK_BYTES: the most README bytes one chunk item holds. */
#define CHUNK_BYTES 300000

static const char *endpoint;
static int tables;

struct fixture {
    struct reg_store *store;
    struct reg_arena arena;
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
    reg_arena_init(&f->arena);
    new_table_name(f->table, sizeof(f->table));
    config(&f->cfg, f->table);
    st = reg_store_dynamodb_open(&f->cfg, &f->store);
    if (st != REG_OK)
        fail_msg("reg_store_dynamodb_open(%s at %s): status %d (%s)", f->table, endpoint, st,
                 reg_error_detail());
    assert_non_null(f->store);
    assert_string_equal(f->store->ops->name, "dynamodb");
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    reg_store_close(f->store);
    reg_arena_cleanup(&f->arena);
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

/* An artifact whose strings live in the fixture's arena. */
static struct reg_artifact
make(struct fixture *f, const char *id, enum reg_artifact_type t, const char *name, const char *url)
{
    struct reg_artifact art;

    memset(&art, 0, sizeof(art));
    snprintf(art.id, sizeof(art.id), "%s", id);
    art.type = t;
    art.name = reg_arena_strdup(&f->arena, name);
    art.url = reg_arena_strdup(&f->arena, url);
    return art;
}

/* Inserts a plain artifact (url derived from the id) and returns its seq. */
static int64_t
put(struct fixture *f, const char *id, enum reg_artifact_type t, const char *name)
{
    struct reg_artifact art =
        make(f, id, t, name, reg_arena_sprintf(&f->arena, "https://example/%s", id));
    bool taken = true;
    enum reg_status st = reg_store_insert(f->store, &art, &taken);

    if (st != REG_OK)
        fail_msg("insert %s: status %d (%s)", id, st, reg_error_detail());
    assert_false(taken);
    assert_true(art.seq > 0);
    return art.seq;
}

static uint64_t
generation(struct fixture *f)
{
    uint64_t g = 0;

    assert_int_equal(reg_store_generation(f->store, &g), REG_OK);
    return g;
}

static int64_t
count(struct fixture *f)
{
    int64_t n = -1;

    assert_int_equal(reg_store_count(f->store, &n), REG_OK);
    return n;
}

/* The README of id as get returns it ("(null)" for none). */
static const char *
readme_of(struct fixture *f, const char *id)
{
    struct reg_artifact got;

    assert_int_equal(reg_store_get(f->store, &f->arena, id, &got), REG_OK);
    return got.readme ? got.readme : "(null)";
}

static void
test_insert_get(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact art = make(f, "1234567890", REG_TYPE_MODEL, "bert-base-uncased",
                                   "https://huggingface.co/google-bert/bert-base-uncased");
    struct reg_artifact got;
    bool taken = true;
    int64_t seq;

    art.readme = "# BERT\n\nmodel card \xe2\x82\xac \"quoted\" \\ / \t";
    art.metadata = "{\"downloads\":5}";
    assert_int_equal(count(f), 0);
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
    assert_false(taken);
    assert_true(art.seq > 0);
    seq = art.seq;
    assert_int_equal(count(f), 1);

    memset(&got, 0x5a, sizeof(got));
    assert_int_equal(reg_store_get(f->store, &f->arena, "1234567890", &got), REG_OK);
    assert_string_equal(got.id, "1234567890");
    assert_int_equal(got.type, REG_TYPE_MODEL);
    assert_string_equal(got.name, "bert-base-uncased");
    assert_string_equal(got.url, "https://huggingface.co/google-bert/bert-base-uncased");
    assert_string_equal(got.readme, "# BERT\n\nmodel card \xe2\x82\xac \"quoted\" \\ / \t");
    assert_string_equal(got.metadata, "{\"downloads\":5}");
    assert_int_equal(got.seq, seq);

    /* NULL readme and metadata come back NULL. */
    art = make(f, "2", REG_TYPE_CODE, "whisper", "https://github.com/openai/whisper");
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
    assert_true(art.seq > seq);
    assert_int_equal(reg_store_get(f->store, &f->arena, "2", &got), REG_OK);
    assert_null(got.readme);
    assert_null(got.metadata);
    assert_int_equal(got.type, REG_TYPE_CODE);

    /* Unknown ids, including ones that only differ in case or are a prefix. */
    assert_int_equal(reg_store_get(f->store, &f->arena, "123456789", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_get(f->store, &f->arena, "12345678901", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_get(f->store, &f->arena, "nope", &got), REG_ENOTFOUND);
    assert_non_null(strstr(reg_error_detail(), "nope"));
    assert_int_equal(reg_store_get(f->store, &f->arena, "", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_get(f->store, &f->arena, "1' OR '1'='1", &got), REG_ENOTFOUND);
}

static void
test_insert_conflicts(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact a = make(f, "100", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m");
    struct reg_artifact b;
    bool taken;
    uint64_t g;

    assert_int_equal(reg_store_insert(f->store, &a, &taken), REG_OK);
    g = generation(f);

    /* Same id, other url: the id is taken. */
    b = make(f, "100", REG_TYPE_MODEL, "other", "https://huggingface.co/o/other");
    taken = false;
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_ECONFLICT);
    assert_true(taken);
    /* Same id, other type. */
    b = make(f, "100", REG_TYPE_CODE, "other", "https://github.com/o/other");
    taken = false;
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_ECONFLICT);
    assert_true(taken);
    /* Other id, same type + url: the url is registered. */
    b = make(f, "101", REG_TYPE_MODEL, "m2", "https://huggingface.co/o/m");
    taken = true;
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_ECONFLICT);
    assert_false(taken);
    assert_non_null(strstr(reg_error_detail(), "https://huggingface.co/o/m"));
    /* The urls the refused inserts tried are free. */
    b = make(f, "104", REG_TYPE_MODEL, "other", "https://huggingface.co/o/other");
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_OK);
    assert_int_equal(reg_store_remove(f->store, "104"), REG_OK);
    g = generation(f);
    /* Failed inserts change nothing. */
    assert_int_equal(count(f), 1);
    /* The same url under another type is another artifact. */
    b = make(f, "102", REG_TYPE_DATASET, "m", "https://huggingface.co/o/m");
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_OK);
    assert_false(taken);
    assert_true(generation(f) != g);
    /* Names are not unique. */
    b = make(f, "103", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m3");
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_OK);
    assert_int_equal(count(f), 3);
}

/* Same id and same type + url as a registered artifact: REG_ECONFLICT with *id_taken (the
 * caller picks another id), and the registered artifact keeps its url: a third artifact with
 * that url is still refused. */
static void
test_insert_same_id_same_url_keeps_claim(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact a = make(f, "100", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m");
    struct reg_artifact b;
    bool taken;
    uint64_t g;

    assert_int_equal(reg_store_insert(f->store, &a, &taken), REG_OK);
    g = generation(f);
    b = make(f, "100", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m");
    taken = false;
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_ECONFLICT);
    assert_true(taken);
    assert_int_equal(count(f), 1);
    assert_true(generation(f) == g);
    /* The caller retries with a fresh id, as registry.c does: the url is still registered. */
    b = make(f, "101", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m");
    taken = true;
    if (reg_store_insert(f->store, &b, &taken) == REG_OK)
        fail_msg("a second model with url https://huggingface.co/o/m was registered (id 101) "
                 "after an insert of id 100 with that url was refused as id-taken: the refused "
                 "insert released the claim of the artifact that holds the url");
    assert_false(taken);
    assert_int_equal(count(f), 1);
}

/* An insert refused because its id is taken leaves the holder of that id as it was, README
 * included. */
static void
test_insert_taken_id_keeps_readme(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact a = make(f, "100", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m");
    struct reg_artifact b = make(f, "100", REG_TYPE_MODEL, "x", "https://huggingface.co/o/x");
    struct reg_artifact c = make(f, "200", REG_TYPE_MODEL, "c", "https://huggingface.co/o/c");
    struct reg_artifact d = make(f, "200", REG_TYPE_CODE, "d", "https://github.com/o/d");
    bool taken = false;
    int bad = 0;
    const char *got;

    a.readme = "the README of 100";
    assert_int_equal(reg_store_insert(f->store, &a, &taken), REG_OK);
    b.readme = "the README of a refused insert";
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_ECONFLICT);
    assert_true(taken);
    got = readme_of(f, "100");
    CHECK(&bad, strcmp(got, "the README of 100") == 0,
          "README of 100 after a refused insert of id 100: [%s], want [the README of 100]", got);
    /* An artifact without README, and a refused insert with one. */
    assert_int_equal(reg_store_insert(f->store, &c, &taken), REG_OK);
    d.readme = "not c's";
    assert_int_equal(reg_store_insert(f->store, &d, &taken), REG_ECONFLICT);
    assert_true(taken);
    got = readme_of(f, "200");
    CHECK(&bad, strcmp(got, "(null)") == 0,
          "README of 200 (none) after a refused insert of id 200: [%s], want none", got);
    assert_int_equal(bad, 0);
}

static void
test_update(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact a = make(f, "1", REG_TYPE_MODEL, "a", "https://huggingface.co/o/a");
    struct reg_artifact b = make(f, "2", REG_TYPE_MODEL, "b", "https://huggingface.co/o/b");
    struct reg_artifact c = make(f, "3", REG_TYPE_DATASET, "c", "https://huggingface.co/o/c");
    struct reg_artifact got;
    bool taken;
    uint64_t g;
    int64_t seq_a;

    assert_int_equal(reg_store_insert(f->store, &a, &taken), REG_OK);
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_OK);
    assert_int_equal(reg_store_insert(f->store, &c, &taken), REG_OK);
    seq_a = a.seq;

    /* Name, url, readme and metadata replaced; id, type and seq kept. */
    g = generation(f);
    a.name = "a2";
    a.url = "https://huggingface.co/o/a2";
    a.readme = "new readme";
    a.metadata = "{}";
    assert_int_equal(reg_store_update(f->store, &a), REG_OK);
    assert_true(generation(f) != g);
    assert_int_equal(reg_store_get(f->store, &f->arena, "1", &got), REG_OK);
    assert_string_equal(got.name, "a2");
    assert_string_equal(got.url, "https://huggingface.co/o/a2");
    assert_string_equal(got.readme, "new readme");
    assert_string_equal(got.metadata, "{}");
    assert_int_equal(got.type, REG_TYPE_MODEL);
    assert_int_equal(got.seq, seq_a);
    assert_int_equal(count(f), 3);
    /* The old url is free again; the new one is claimed. */
    {
        struct reg_artifact d = make(f, "4", REG_TYPE_MODEL, "a", "https://huggingface.co/o/a");
        struct reg_artifact e = make(f, "5", REG_TYPE_MODEL, "e", "https://huggingface.co/o/a2");
        assert_int_equal(reg_store_insert(f->store, &d, &taken), REG_OK);
        taken = true;
        assert_int_equal(reg_store_insert(f->store, &e, &taken), REG_ECONFLICT);
        assert_false(taken);
    }
    /* Updating to its own url is not a conflict. */
    assert_int_equal(reg_store_update(f->store, &a), REG_OK);

    /* Not found. */
    g = generation(f);
    {
        struct reg_artifact ghost = make(f, "999", REG_TYPE_MODEL, "g", "https://x/g");
        assert_int_equal(reg_store_update(f->store, &ghost), REG_ENOTFOUND);
        assert_non_null(strstr(reg_error_detail(), "999"));
        /* The url the refused update named is not claimed. */
        ghost = make(f, "6", REG_TYPE_MODEL, "g", "https://x/g");
        assert_int_equal(reg_store_insert(f->store, &ghost, &taken), REG_OK);
        assert_int_equal(reg_store_remove(f->store, "6"), REG_OK);
        g = generation(f);
    }
    /* The url of another artifact of the same type. */
    a.url = "https://huggingface.co/o/b";
    a.readme = "refused readme";
    assert_int_equal(reg_store_update(f->store, &a), REG_ECONFLICT);
    assert_true(generation(f) == g);
    assert_int_equal(reg_store_get(f->store, &f->arena, "1", &got), REG_OK);
    assert_string_equal(got.url, "https://huggingface.co/o/a2");
    assert_string_equal(got.name, "a2");
    assert_string_equal(got.readme, "new readme");
    /* b still holds its url. */
    {
        struct reg_artifact h = make(f, "7", REG_TYPE_MODEL, "h", "https://huggingface.co/o/b");
        assert_int_equal(reg_store_insert(f->store, &h, &taken), REG_ECONFLICT);
        assert_false(taken);
    }
    /* The url of an artifact of another type is fine. */
    a.url = "https://huggingface.co/o/c";
    a.readme = "new readme";
    assert_int_equal(reg_store_update(f->store, &a), REG_OK);
    /* Enumerate by name sees the new name, not the old one. */
    {
        struct reg_store_filter byname = {"a2", REG_TYPE_ALL};
        struct reg_store_page page;
        assert_int_equal(reg_store_list(f->store, &f->arena, &byname, 1, 0, 10, &page), REG_OK);
        assert_int_equal(page.count, 1);
        assert_string_equal(page.items[0].id, "1");
        assert_string_equal(page.items[0].url, "https://huggingface.co/o/c");
    }
}

/* Clearing readme and metadata with an update: get returns NULL for both, as after an insert
 * without them. */
static void
test_update_clears_readme_and_metadata(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact a = make(f, "1", REG_TYPE_MODEL, "a", "https://huggingface.co/o/a");
    struct reg_artifact got;
    bool taken;
    int bad = 0;

    a.readme = "readme";
    a.metadata = "{\"k\":1}";
    assert_int_equal(reg_store_insert(f->store, &a, &taken), REG_OK);
    a.readme = NULL;
    a.metadata = NULL;
    assert_int_equal(reg_store_update(f->store, &a), REG_OK);
    assert_int_equal(reg_store_get(f->store, &f->arena, "1", &got), REG_OK);
    CHECK(&bad, got.readme == NULL, "readme after clearing: [%s], want NULL",
          got.readme ? got.readme : "");
    CHECK(&bad, got.metadata == NULL, "metadata after clearing: [%s], want NULL",
          got.metadata ? got.metadata : "");
    assert_int_equal(bad, 0);
}

static void
test_remove(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact got;
    uint64_t g;

    put(f, "1", REG_TYPE_MODEL, "a");
    put(f, "2", REG_TYPE_MODEL, "b");
    g = generation(f);
    assert_int_equal(reg_store_remove(f->store, "1"), REG_OK);
    assert_true(generation(f) != g);
    assert_int_equal(count(f), 1);
    assert_int_equal(reg_store_get(f->store, &f->arena, "1", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_get(f->store, &f->arena, "2", &got), REG_OK);
    g = generation(f);
    assert_int_equal(reg_store_remove(f->store, "1"), REG_ENOTFOUND);
    assert_int_equal(reg_store_remove(f->store, "nope"), REG_ENOTFOUND);
    assert_non_null(strstr(reg_error_detail(), "nope"));
    assert_true(generation(f) == g);
    assert_int_equal(count(f), 1);
    /* The id and the url can be used again; the url by another id too. */
    put(f, "1", REG_TYPE_MODEL, "a");
    assert_int_equal(count(f), 2);
    assert_int_equal(reg_store_remove(f->store, "1"), REG_OK);
    {
        struct reg_artifact art = make(f, "9", REG_TYPE_MODEL, "a", "https://example/1");
        bool taken = true;
        assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
        assert_false(taken);
    }
    assert_int_equal(count(f), 2);
}

/* The names of a page, joined by ','. */
static const char *
page_names(struct fixture *f, const struct reg_store_page *p)
{
    const char *s = "";

    for (int i = 0; i < p->count; i++)
        s = reg_arena_sprintf(&f->arena, "%s%s%s", s, i ? "," : "", p->items[i].name);
    return s;
}

/* Every page of filters (limit 100) joined, or "status N: detail" when a page fails. */
static const char *
list(struct fixture *f, const struct reg_store_filter *filters, int n)
{
    const char *all = "";
    int64_t after = 0;

    for (int pages = 0; pages < 100; pages++) {
        struct reg_store_page page;
        enum reg_status st = reg_store_list(f->store, &f->arena, filters, n, after, 100, &page);
        const char *names;
        if (st != REG_OK)
            return reg_arena_sprintf(&f->arena, "status %d: %s", st, reg_error_detail());
        names = page_names(f, &page);
        if (*names)
            all = reg_arena_sprintf(&f->arena, "%s%s%s", all, *all ? "," : "", names);
        after = page.next_after;
        if (!after)
            break;
    }
    return all;
}

#define M REG_TYPE_BIT(REG_TYPE_MODEL)
#define D REG_TYPE_BIT(REG_TYPE_DATASET)
#define C REG_TYPE_BIT(REG_TYPE_CODE)

struct list_case {
    struct reg_store_filter filters[3];
    int n;
    const char *want;
};

static const struct list_case list_cases[] = {
    /* "*": every name, masked by type. */
    {{{NULL, REG_TYPE_ALL}}, 1, "bert,whisper,bert,squad,whisper,x/y \"q\" \xc3\xa9"},
    {{{NULL, M}}, 1, "bert,whisper,bert"},
    {{{NULL, D}}, 1, "squad"},
    {{{NULL, C}}, 1, "whisper,x/y \"q\" \xc3\xa9"},
    {{{NULL, M | C}}, 1, "bert,whisper,bert,whisper,x/y \"q\" \xc3\xa9"},
    {{{NULL, 0}}, 1, ""},
    /* Exact names. */
    {{{"bert", REG_TYPE_ALL}}, 1, "bert,bert"},
    {{{"whisper", REG_TYPE_ALL}}, 1, "whisper,whisper"},
    {{{"whisper", M}}, 1, "whisper"},
    {{{"whisper", C}}, 1, "whisper"},
    {{{"whisper", D}}, 1, ""},
    {{{"Bert", REG_TYPE_ALL}}, 1, ""},
    {{{"ber", REG_TYPE_ALL}}, 1, ""},
    {{{"%", REG_TYPE_ALL}}, 1, ""},
    {{{"*", REG_TYPE_ALL}}, 1, ""},
    {{{"x/y \"q\" \xc3\xa9", REG_TYPE_ALL}}, 1, "x/y \"q\" \xc3\xa9"},
    {{{"bert", 0}}, 1, ""},
    /* Several filters: the union, in store order, each artifact once. */
    {{{"bert", M}, {"squad", D}}, 2, "bert,bert,squad"},
    {{{"squad", D}, {"bert", M}}, 2, "bert,bert,squad"},
    {{{"bert", M}, {"bert", REG_TYPE_ALL}}, 2, "bert,bert"},
    {{{"bert", M}, {NULL, C}}, 2, "bert,bert,whisper,x/y \"q\" \xc3\xa9"},
    {{{NULL, D}, {NULL, C}, {"whisper", M}}, 3, "whisper,squad,whisper,x/y \"q\" \xc3\xa9"},
    {{{NULL, REG_TYPE_ALL}, {"bert", M}}, 2, "bert,whisper,bert,squad,whisper,x/y \"q\" \xc3\xa9"},
    {{{"bert", M}, {NULL, REG_TYPE_ALL}}, 2, "bert,whisper,bert,squad,whisper,x/y \"q\" \xc3\xa9"},
    {{{"squad", 0}, {"bert", M}}, 2, "bert,bert"},
    /* No filter matches nothing. */
    {{{NULL, 0}}, 0, ""},
};

static void
test_list_filters(void **state)
{
    struct fixture *f = *state;
    int bad = 0;

    put(f, "1", REG_TYPE_MODEL, "bert");
    put(f, "2", REG_TYPE_MODEL, "whisper");
    put(f, "3", REG_TYPE_MODEL, "bert");
    put(f, "4", REG_TYPE_DATASET, "squad");
    put(f, "5", REG_TYPE_CODE, "whisper");
    put(f, "6", REG_TYPE_CODE, "x/y \"q\" \xc3\xa9");
    for (int i = 0; i < NELEMS(list_cases); i++) {
        const struct list_case *c = &list_cases[i];
        const char *got = list(f, c->filters, c->n);
        CHECK(&bad, strcmp(got, c->want) == 0, "case %d: [%s], want [%s]", i, got, c->want);
    }
    assert_int_equal(bad, 0);
}

static void
test_list_item_fields(void **state)
{
    struct fixture *f = *state;
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    struct reg_store_page page;
    int64_t s1 = put(f, "a-1", REG_TYPE_DATASET, "one");
    int64_t s2 = put(f, "a-2", REG_TYPE_CODE, "two");

    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, 0, 10, &page), REG_OK);
    assert_int_equal(page.count, 2);
    assert_int_equal(page.next_after, 0);
    assert_string_equal(page.items[0].id, "a-1");
    assert_int_equal(page.items[0].type, REG_TYPE_DATASET);
    assert_string_equal(page.items[0].name, "one");
    assert_string_equal(page.items[0].url, "https://example/a-1");
    assert_int_equal(page.items[0].seq, s1);
    assert_string_equal(page.items[1].id, "a-2");
    assert_int_equal(page.items[1].type, REG_TYPE_CODE);
    assert_int_equal(page.items[1].seq, s2);
    /* after is exclusive. */
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, s1, 10, &page), REG_OK);
    assert_int_equal(page.count, 1);
    assert_string_equal(page.items[0].id, "a-2");
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, s2, 10, &page), REG_OK);
    assert_int_equal(page.count, 0);
    assert_int_equal(page.next_after, 0);
}

/* Walks every page of filter; checks each page and returns the number of items, recording
 * which indices (from the names "n-%03d") were seen. The DynamoDB store may answer a short page
 * with a cursor (it reads a bounded number of index pages per call), so a page with a cursor
 * has at most limit items and its cursor is not before its last item. */
static int
walk(struct fixture *f, const struct reg_store_filter *filter, int limit, int *seen, int nseen,
     void (*between_pages)(struct fixture *, int))
{
    int64_t after = 0;
    int total = 0, pages = 0;

    do {
        struct reg_store_page page;
        int64_t last = after;
        assert_int_equal(reg_store_list(f->store, &f->arena, filter, 1, after, limit, &page),
                         REG_OK);
        assert_true(page.count <= limit);
        for (int i = 0; i < page.count; i++) {
            int idx = atoi(page.items[i].name + 2);
            assert_true(page.items[i].seq > last);
            last = page.items[i].seq;
            assert_in_range(idx, 0, nseen - 1);
            seen[idx]++;
            total++;
        }
        if (page.next_after) {
            assert_true(page.next_after >= last);
            assert_true(page.next_after > after);
        }
        after = page.next_after;
        if (between_pages)
            between_pages(f, pages);
        pages++;
        assert_true(pages < 1000);
    } while (after != 0);
    return total;
}

static void
insert_numbered(struct fixture *f, int n)
{
    for (int i = 0; i < n; i++) {
        char id[16], name[16];
        snprintf(id, sizeof(id), "id-%d", i);
        snprintf(name, sizeof(name), "n-%03d", i);
        put(f, id, i % 5 == 4 ? REG_TYPE_CODE : REG_TYPE_MODEL, name);
    }
}

static void
test_list_pagination(void **state)
{
    struct fixture *f = *state;
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    struct reg_store_filter models = {NULL, M};
    struct reg_store_filter code = {NULL, C};
    struct reg_store_filter one = {"n-123", REG_TYPE_ALL};
    int seen[250];
    struct reg_store_page page;

    insert_numbered(f, 250);
    /* 100 + 100 + 50, no duplicate and no gap. */
    memset(seen, 0, sizeof(seen));
    assert_int_equal(walk(f, &all, 100, seen, 250, NULL), 250);
    for (int i = 0; i < 250; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, 0, 100, &page), REG_OK);
    assert_int_equal(page.count, 100);
    assert_string_equal(page.items[0].name, "n-000");
    assert_string_equal(page.items[99].name, "n-099");
    assert_int_equal(page.next_after, page.items[99].seq);
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, page.next_after, 100, &page),
                     REG_OK);
    assert_int_equal(page.count, 100);
    assert_string_equal(page.items[0].name, "n-100");
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, page.next_after, 100, &page),
                     REG_OK);
    assert_int_equal(page.count, 50);
    assert_string_equal(page.items[49].name, "n-249");
    assert_int_equal(page.next_after, 0);

    /* A filtered walk: 200 models. */
    memset(seen, 0, sizeof(seen));
    assert_int_equal(walk(f, &models, 100, seen, 250, NULL), 200);
    for (int i = 0; i < 250; i++)
        assert_int_equal(seen[i], i % 5 == 4 ? 0 : 1);
    /* Sparse matches with small pages: calls that run out of index pages answer short pages
     * with a cursor; the walk still sees each match once. */
    memset(seen, 0, sizeof(seen));
    assert_int_equal(walk(f, &code, 3, seen, 250, NULL), 50);
    for (int i = 0; i < 250; i++)
        assert_int_equal(seen[i], i % 5 == 4 ? 1 : 0);
    memset(seen, 0, sizeof(seen));
    assert_int_equal(walk(f, &one, 5, seen, 250, NULL), 1);
    assert_int_equal(seen[123], 1);

    /* Other page sizes, including ones that divide the total exactly. */
    for (int limit = 1; limit <= 260; limit += (limit < 4 ? 1 : 49)) {
        memset(seen, 0, sizeof(seen));
        assert_int_equal(walk(f, &all, limit, seen, 250, NULL), 250);
        for (int i = 0; i < 250; i++)
            assert_int_equal(seen[i], 1);
    }
    memset(seen, 0, sizeof(seen));
    assert_int_equal(walk(f, &all, 125, seen, 250, NULL), 250);
    memset(seen, 0, sizeof(seen));
    assert_int_equal(walk(f, &all, 250, seen, 250, NULL), 250);
}

/* Between pages of a walk: deletes an artifact already listed and inserts a new one. */
static void
churn(struct fixture *f, int page)
{
    char id[16];

    snprintf(id, sizeof(id), "id-%d", page * 100);
    assert_int_equal(reg_store_remove(f->store, id), REG_OK);
    snprintf(id, sizeof(id), "new-%d", page);
    put(f, id, REG_TYPE_MODEL, reg_arena_sprintf(&f->arena, "n-%03d", 250 + page));
}

static void
test_list_pagination_under_writes(void **state)
{
    struct fixture *f = *state;
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    int seen[260];

    insert_numbered(f, 250);
    memset(seen, 0, sizeof(seen));
    /* Deleting rows behind the cursor and appending rows ahead of it neither repeats nor
     * skips the rows that were there all along; appended rows show up at the end. */
    walk(f, &all, 100, seen, 260, churn);
    for (int i = 0; i < 250; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(seen[250] + seen[251], 2);
}

struct scan_ctx {
    struct reg_arena *arena;
    const char *names;
    const char *readmes;
    int calls;
    int stop_after;
    int64_t last_seq;
};

static enum reg_status
scan_fn(void *p, const struct reg_artifact *art)
{
    struct scan_ctx *c = p;

    c->names = reg_arena_sprintf(c->arena, "%s%s%s", c->names, c->calls ? "," : "", art->name);
    c->readmes = reg_arena_sprintf(c->arena, "%s%s%s", c->readmes, c->calls ? "," : "",
                                   art->readme ? art->readme : "(null)");
    assert_true(art->seq > c->last_seq);
    c->last_seq = art->seq;
    assert_int_equal(reg_artifact_id_check(art->id), REG_OK);
    c->calls++;
    if (c->stop_after && c->calls == c->stop_after)
        return reg_errorf(REG_ETOOLARGE, "stop");
    return REG_OK;
}

static void
test_scan(void **state)
{
    struct fixture *f = *state;
    struct scan_ctx ctx = {&f->arena, "", "", 0, 0, 0};
    struct reg_artifact art;
    bool taken;

    assert_int_equal(reg_store_scan(f->store, scan_fn, &ctx), REG_OK);
    assert_int_equal(ctx.calls, 0);
    /* Ids whose order as strings is not the order of insertion. */
    put(f, "9", REG_TYPE_MODEL, "a");
    art = make(f, "10", REG_TYPE_DATASET, "b", "https://example/b");
    art.readme = "readme of b";
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
    put(f, "1", REG_TYPE_CODE, "c");
    assert_int_equal(reg_store_remove(f->store, "9"), REG_OK);
    art = make(f, "05", REG_TYPE_CODE, "d", "https://example/d");
    art.readme = "readme of d \xf0\x9f\x98\x80";
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
    put(f, "zz", REG_TYPE_MODEL, "e");
    /* Audit entries, users and tokens are not artifacts. */
    {
        struct reg_audit_entry e;
        struct reg_user u = {"alice", false, REG_PERM_SEARCH, "x"};
        memset(&e, 0, sizeof(e));
        e.user = "alice";
        e.artifact = make(f, "10", REG_TYPE_DATASET, "b", "");
        assert_int_equal(reg_store_audit_append(f->store, &e), REG_OK);
        assert_int_equal(reg_store_user_insert(f->store, &u), REG_OK);
        assert_int_equal(reg_store_token_insert(f->store, "t1", "alice"), REG_OK);
    }
    assert_int_equal(reg_store_scan(f->store, scan_fn, &ctx), REG_OK);
    assert_int_equal(ctx.calls, 4);
    assert_string_equal(ctx.names, "b,c,d,e");
    assert_string_equal(ctx.readmes, "readme of b,(null),readme of d \xf0\x9f\x98\x80,(null)");
    /* A non-OK return stops the scan and is what scan returns; the store stays usable. */
    ctx = (struct scan_ctx){&f->arena, "", "", 0, 2, 0};
    assert_int_equal(reg_store_scan(f->store, scan_fn, &ctx), REG_ETOOLARGE);
    assert_int_equal(ctx.calls, 2);
    ctx = (struct scan_ctx){&f->arena, "", "", 0, 0, 0};
    assert_int_equal(reg_store_scan(f->store, scan_fn, &ctx), REG_OK);
    assert_int_equal(ctx.calls, 4);
    put(f, "5", REG_TYPE_CODE, "f");
    assert_int_equal(count(f), 5);
}

struct many_ctx {
    int calls;
    int bad;
    int64_t last_seq;
};

/* Each artifact "n-NNN" has a SCAN_README_BYTES README starting with 'A' + NNN % 26. */
#define SCAN_README_BYTES 40000

static enum reg_status
many_fn(void *p, const struct reg_artifact *art)
{
    struct many_ctx *c = p;
    int i = atoi(art->name + 2);

    CHECK(&c->bad, art->seq > c->last_seq, "%s: seq %lld after %lld", art->name,
          (long long)art->seq, (long long)c->last_seq);
    c->last_seq = art->seq;
    CHECK(&c->bad,
          art->readme && strlen(art->readme) == SCAN_README_BYTES &&
              art->readme[0] == (char)('A' + i % 26) && art->readme[1] == 'b',
          "%s: README of %zu bytes, want %d", art->name, art->readme ? strlen(art->readme) : 0,
          SCAN_README_BYTES);
    c->calls++;
    return REG_OK;
}

/* Scan over more items than one Scan page (dynalite, like DynamoDB, answers at most about 1 MB
 * per page): 60 artifacts with 40 KB READMEs, 2.4 MB in all. */
static void
test_scan_many_pages(void **state)
{
    struct fixture *f = *state;
    struct many_ctx ctx = {0, 0, 0};
    char *text = reg_arena_alloc(&f->arena, SCAN_README_BYTES + 1);
    int n = 60;
    enum reg_status st;

    for (size_t i = 0; i < SCAN_README_BYTES; i++)
        text[i] = (char)('a' + (char)(i % 26));
    text[SCAN_README_BYTES] = '\0';
    for (int i = 0; i < n; i++) {
        struct reg_artifact art = make(f, reg_arena_sprintf(&f->arena, "s%d", i), REG_TYPE_MODEL,
                                       reg_arena_sprintf(&f->arena, "n-%03d", i),
                                       reg_arena_sprintf(&f->arena, "https://example/s%d", i));
        bool taken;
        text[0] = (char)('A' + i % 26);
        art.readme = text;
        assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
    }
    st = reg_store_scan(f->store, many_fn, &ctx);
    if (st != REG_OK)
        fail_msg("scan of %d artifacts with %d-byte READMEs: status %d (%s)", n, SCAN_README_BYTES,
                 st, reg_error_detail());
    assert_int_equal(ctx.bad, 0);
    assert_int_equal(ctx.calls, n);
}

static void
test_generation(void **state)
{
    struct fixture *f = *state;
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    struct reg_store_page page;
    struct reg_artifact art;
    uint64_t g0 = generation(f), g1, g2, g3, g4, g5;
    int64_t n;

    /* Reads leave it alone. */
    assert_true(generation(f) == g0);
    put(f, "1", REG_TYPE_MODEL, "a");
    g1 = generation(f);
    assert_true(g1 != g0);
    assert_int_equal(reg_store_get(f->store, &f->arena, "1", &art), REG_OK);
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, 0, 10, &page), REG_OK);
    assert_int_equal(reg_store_count(f->store, &n), REG_OK);
    {
        struct scan_ctx ctx = {&f->arena, "", "", 0, 0, 0};
        assert_int_equal(reg_store_scan(f->store, scan_fn, &ctx), REG_OK);
    }
    assert_true(generation(f) == g1);
    /* Every write changes it, to a value it never had. */
    art.readme = "changed";
    assert_int_equal(reg_store_update(f->store, &art), REG_OK);
    g2 = generation(f);
    assert_true(g2 != g1 && g2 != g0);
    put(f, "2", REG_TYPE_MODEL, "b");
    g3 = generation(f);
    assert_true(g3 != g2 && g3 != g1 && g3 != g0);
    assert_int_equal(reg_store_remove(f->store, "1"), REG_OK);
    g4 = generation(f);
    assert_true(g4 != g3 && g4 != g2 && g4 != g1 && g4 != g0);
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    g5 = generation(f);
    assert_true(g5 != g4 && g5 != g3 && g5 != g2 && g5 != g1 && g5 != g0);
    /* Another store on the table sees the same counter. */
    {
        struct reg_store *other = open_other(f);
        uint64_t g = 0;
        assert_int_equal(reg_store_generation(other, &g), REG_OK);
        assert_true(g == g5);
        reg_store_close(other);
    }
}

static void
test_count(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact art = make(f, "1", REG_TYPE_MODEL, "a", "https://example/1");

    assert_int_equal(count(f), 0);
    put(f, "1", REG_TYPE_MODEL, "a");
    put(f, "2", REG_TYPE_MODEL, "b");
    put(f, "3", REG_TYPE_DATASET, "c");
    assert_int_equal(count(f), 3);
    /* Updates and refused writes leave it alone. */
    art.readme = "x";
    assert_int_equal(reg_store_update(f->store, &art), REG_OK);
    assert_int_equal(count(f), 3);
    assert_int_equal(reg_store_remove(f->store, "nope"), REG_ENOTFOUND);
    assert_int_equal(count(f), 3);
    assert_int_equal(reg_store_remove(f->store, "2"), REG_OK);
    assert_int_equal(reg_store_remove(f->store, "3"), REG_OK);
    assert_int_equal(count(f), 1);
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    assert_int_equal(count(f), 0);
}

static void
test_reset(void **state)
{
    struct fixture *f = *state;
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    struct reg_store_page page;
    struct reg_artifact art;
    struct scan_ctx ctx = {&f->arena, "", "", 0, 0, 0};
    int64_t last = 0;

    insert_numbered(f, 30);
    art = make(f, "last", REG_TYPE_MODEL, "last", "https://example/last");
    art.readme = "a readme in a chunk";
    {
        bool taken;
        assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
        last = art.seq;
    }
    assert_int_equal(count(f), 31);
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    assert_int_equal(count(f), 0);
    assert_int_equal(reg_store_get(f->store, &f->arena, "last", &art), REG_ENOTFOUND);
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, 0, 100, &page), REG_OK);
    assert_int_equal(page.count, 0);
    assert_int_equal(reg_store_scan(f->store, scan_fn, &ctx), REG_OK);
    assert_int_equal(ctx.calls, 0);
    /* Reset of an empty store is fine; ids and urls are free again; seq never goes back, so a
     * cursor from before the reset cannot skip new rows' order. */
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    assert_true(put(f, "last", REG_TYPE_MODEL, "last") > last);
    assert_int_equal(count(f), 1);
    /* The new artifact has no README: no chunk of the old one came back. */
    assert_string_equal(readme_of(f, "last"), "(null)");
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

/* How many of the places where the store cuts text into CHUNK_BYTES pieces fall inside a
 * UTF-8 character (the store backs up to the character's start); *cuts is the number of
 * cuts. */
static int
straddled_cuts(const char *text, size_t len, int *cuts)
{
    size_t pos = 0;
    int straddled = 0;

    *cuts = 0;
    while (len - pos > CHUNK_BYTES) {
        size_t n = CHUNK_BYTES;
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

/* The README the scan passes for id ("" if it has none), copied to the arena. */
struct find_ctx {
    struct reg_arena *arena;
    const char *id;
    const char *readme;
    bool found;
};

static enum reg_status
find_fn(void *p, const struct reg_artifact *art)
{
    struct find_ctx *c = p;

    if (strcmp(art->id, c->id) == 0) {
        c->found = true;
        c->readme = reg_arena_strdup(c->arena, art->readme ? art->readme : "");
    }
    return REG_OK;
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
    char *big = straddling_text(&f->arena, len);
    struct reg_artifact art = make(f, "big", REG_TYPE_MODEL, "big", "https://example/big");
    struct reg_artifact got;
    struct find_ctx fc = {&f->arena, "big", NULL, false};
    bool taken;
    enum reg_status st;

    put(f, "small-1", REG_TYPE_MODEL, "s1");
    art.readme = big;
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
    put(f, "small-2", REG_TYPE_MODEL, "s2");
    st = reg_store_get(f->store, &f->arena, "big", &got);
    if (st != REG_OK)
        fail_msg("get of an artifact with a %zu-byte README: status %d (%s)", len, st,
                 reg_error_detail());
    assert_same_text("README from get", got.readme, big);
    assert_string_equal(got.name, "big");
    st = reg_store_scan(f->store, find_fn, &fc);
    if (st != REG_OK)
        fail_msg("scan with a %zu-byte README: status %d (%s)", len, st, reg_error_detail());
    assert_true(fc.found);
    assert_same_text("README from scan", fc.readme, big);

    /* Shorter: one chunk. */
    art.readme = "short \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    assert_int_equal(reg_store_update(f->store, &art), REG_OK);
    assert_string_equal(readme_of(f, "big"), "short \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    fc = (struct find_ctx){&f->arena, "big", NULL, false};
    assert_int_equal(reg_store_scan(f->store, find_fn, &fc), REG_OK);
    assert_string_equal(fc.readme, "short \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    /* None. */
    art.readme = NULL;
    assert_int_equal(reg_store_update(f->store, &art), REG_OK);
    assert_string_equal(readme_of(f, "big"), "(null)");
    /* Two chunks: exactly the first CHUNK_BYTES + 10 bytes of the big text, then back to a
     * short one. */
    {
        size_t cut = CHUNK_BYTES + 10;
        while (((unsigned char)big[cut] & 0xc0) == 0x80)
            cut--;
        big[cut] = '\0';
        art.readme = big;
        assert_int_equal(reg_store_update(f->store, &art), REG_OK);
        assert_int_equal(reg_store_get(f->store, &f->arena, "big", &got), REG_OK);
        assert_same_text("two-chunk README from get", got.readme, big);
        art.readme = "tiny";
        assert_int_equal(reg_store_update(f->store, &art), REG_OK);
        assert_string_equal(readme_of(f, "big"), "tiny");
    }
    /* The neighbours are untouched. */
    assert_string_equal(readme_of(f, "small-1"), "(null)");
    assert_string_equal(readme_of(f, "small-2"), "(null)");
    /* Removal takes every chunk with it: the id comes back without a README. */
    assert_int_equal(reg_store_remove(f->store, "big"), REG_OK);
    art.readme = NULL;
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
    assert_string_equal(readme_of(f, "big"), "(null)");
}

/* 1 MB (10^6 bytes): four chunks, each cut inside a multi-byte character. */
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
    char *url = reg_arena_alloc(&f->arena, REG_URL_MAX + 1);
    struct reg_artifact art, got;
    bool taken = true;
    enum reg_status st;
    size_t n;

    n = (size_t)snprintf(url, REG_URL_MAX + 1, "https://huggingface.co/org/");
    memset(url + n, 'm', REG_URL_MAX - n);
    url[REG_URL_MAX] = '\0';
    art = make(f, "long", REG_TYPE_MODEL, "long", url);
    st = reg_store_insert(f->store, &art, &taken);
    if (st != REG_OK)
        fail_msg("insert with a %d-byte url: status %d (%s)", REG_URL_MAX, st, reg_error_detail());
    assert_int_equal(reg_store_get(f->store, &f->arena, "long", &got), REG_OK);
    assert_string_equal(got.url, url);
    art = make(f, "long2", REG_TYPE_MODEL, "long", url);
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_ECONFLICT);
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
    struct reg_artifact art =
        make(f, "42", REG_TYPE_DATASET, "squad", "https://huggingface.co/datasets/rajpurkar/squad");
    struct reg_artifact got;
    struct reg_user u = {"alice", true, REG_PERM_ALL, "rec"}, gu;
    unsigned char a[32], b[32], out[32];
    bool taken;
    int64_t n = -1, uses;
    int64_t seq;

    memset(a, 0xa1, sizeof(a));
    memset(b, 0xb2, sizeof(b));
    art.readme = "persisted readme";
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
    seq = art.seq;
    assert_int_equal(reg_store_secret(f->store, a, out), REG_OK);
    assert_int_equal(reg_store_user_insert(f->store, &u), REG_OK);
    assert_int_equal(reg_store_token_insert(f->store, "t1", "alice"), REG_OK);
    assert_int_equal(reg_store_token_use(f->store, "alice", "t1", 10, &uses), REG_OK);

    other = open_other(f);
    assert_int_equal(reg_store_count(other, &n), REG_OK);
    assert_true(n == 1);
    assert_int_equal(reg_store_get(other, &f->arena, "42", &got), REG_OK);
    assert_string_equal(got.name, "squad");
    assert_string_equal(got.readme, "persisted readme");
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(other, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    assert_int_equal(reg_store_user_get(other, &f->arena, "alice", &gu), REG_OK);
    assert_true(gu.is_admin);
    assert_int_equal(reg_store_token_use(other, "alice", "t1", 10, &uses), REG_OK);
    assert_true(uses == 2);
    /* Constraints hold across them, and seq keeps growing. */
    art = make(f, "44", REG_TYPE_DATASET, "dup", "https://huggingface.co/datasets/rajpurkar/squad");
    assert_int_equal(reg_store_insert(other, &art, &taken), REG_ECONFLICT);
    assert_false(taken);
    art = make(f, "45", REG_TYPE_MODEL, "n", "https://example/45");
    assert_int_equal(reg_store_insert(other, &art, &taken), REG_OK);
    assert_true(art.seq > seq);
    assert_int_equal(count(f), 2);
    assert_int_equal(reg_store_remove(other, "42"), REG_OK);
    assert_int_equal(reg_store_get(f->store, &f->arena, "42", &got), REG_ENOTFOUND);
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

static void
test_close_null(void **state)
{
    (void)state;
    reg_store_close(NULL);
}

/* -------------------------------------------------------------------------------- users */

static struct reg_user
user(const char *name, bool is_admin, unsigned perms, const char *password)
{
    struct reg_user u = {name, is_admin, perms, password};

    return u;
}

static void
add_user(struct fixture *f, const char *name, unsigned perms)
{
    struct reg_user u = user(name, (perms & REG_PERM_ADMIN) != 0, perms, "pbkdf2-sha256$1$x$y");

    assert_int_equal(reg_store_user_insert(f->store, &u), REG_OK);
}

static void
add_token(struct fixture *f, const char *id, const char *name)
{
    assert_int_equal(reg_store_token_insert(f->store, id, name), REG_OK);
}

static enum reg_status
use(struct fixture *f, const char *name, const char *id, int64_t max, int64_t *uses)
{
    int64_t ignored;

    return reg_store_token_use(f->store, name, id, max, uses ? uses : &ignored);
}

static int
user_count(struct fixture *f)
{
    struct reg_user *all;
    int n = -1;

    assert_int_equal(reg_store_user_list(f->store, &f->arena, &all, &n), REG_OK);
    return n;
}

static void
test_user_insert_get(void **state)
{
    struct fixture *f = *state;
    struct reg_user u = user("alice", false, REG_PERM_SEARCH | REG_PERM_DOWNLOAD,
                             "pbkdf2-sha256$1000$00$11"),
                    got;

    assert_int_equal(reg_store_user_insert(f->store, &u), REG_OK);
    memset(&got, 0x5a, sizeof(got));
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alice", &got), REG_OK);
    assert_string_equal(got.name, "alice");
    assert_false(got.is_admin);
    assert_int_equal(got.perms, REG_PERM_SEARCH | REG_PERM_DOWNLOAD);
    assert_string_equal(got.password, "pbkdf2-sha256$1000$00$11");

    /* Names with quotes, expression syntax and UTF-8 are data. */
    u = user("x'); DROP TABLE users; --\" `\xc3\xa9` :pk #n", true, REG_PERM_ALL, "rec'\"`");
    assert_int_equal(reg_store_user_insert(f->store, &u), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, u.name, &got), REG_OK);
    assert_string_equal(got.name, u.name);
    assert_true(got.is_admin);
    assert_int_equal(got.perms, REG_PERM_ALL);
    assert_string_equal(got.password, "rec'\"`");
    assert_int_equal(user_count(f), 2);

    /* A taken name: REG_ECONFLICT, the first record kept. */
    u = user("alice", true, REG_PERM_ALL, "other");
    assert_int_equal(reg_store_user_insert(f->store, &u), REG_ECONFLICT);
    assert_non_null(strstr(reg_error_detail(), "alice"));
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alice", &got), REG_OK);
    assert_false(got.is_admin);
    assert_string_equal(got.password, "pbkdf2-sha256$1000$00$11");
    /* The refused admin did not count as one: the other is still the last admin. */
    u = user("x'); DROP TABLE users; --\" `\xc3\xa9` :pk #n", false, REG_PERM_SEARCH, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ECONFLICT);
    assert_int_equal(user_count(f), 2);
}

/* Unknown names, including near misses and the empty name (PUT /authenticate passes whatever
 * name the body holds): REG_ENOTFOUND. */
static void
test_user_unknown_names(void **state)
{
    static const char *const names[] = {"Alice", "alic", "alice ", "", "' OR '1'='1", "USERS"};
    struct fixture *f = *state;
    struct reg_user got;
    int bad = 0;

    add_user(f, "alice", REG_PERM_SEARCH);
    for (int i = 0; i < NELEMS(names); i++) {
        enum reg_status st = reg_store_user_get(f->store, &f->arena, names[i], &got);
        CHECK(&bad, st == REG_ENOTFOUND, "user_get('%s'): status %d (%s), want REG_ENOTFOUND",
              names[i], st, reg_error_detail());
        st = reg_store_user_remove(f->store, names[i]);
        CHECK(&bad, st == REG_ENOTFOUND, "user_remove('%s'): status %d (%s), want REG_ENOTFOUND",
              names[i], st, reg_error_detail());
    }
    assert_int_equal(bad, 0);
    assert_int_equal(user_count(f), 1);
}

static void
test_user_list(void **state)
{
    struct fixture *f = *state;
    struct reg_user *all;
    int n = -1;
    bool seen[40] = {false};

    assert_int_equal(reg_store_user_list(f->store, &f->arena, &all, &n), REG_OK);
    assert_int_equal(n, 0);
    /* More rows than the first allocation (16). */
    for (int i = 0; i < 40; i++)
        add_user(f, reg_arena_sprintf(&f->arena, "u%02d", i),
                 i % 10 == 0 ? REG_PERM_ALL : REG_PERM_SEARCH);
    assert_int_equal(reg_store_user_list(f->store, &f->arena, &all, &n), REG_OK);
    assert_int_equal(n, 40);
    for (int j = 0; j < n; j++) {
        int i = atoi(all[j].name + 1);
        assert_in_range(i, 0, 39);
        assert_false(seen[i]);
        seen[i] = true;
        assert_int_equal(all[j].perms, i % 10 == 0 ? REG_PERM_ALL : REG_PERM_SEARCH);
        assert_int_equal(all[j].is_admin, i % 10 == 0);
        assert_non_null(all[j].password);
        /* By creation time, then name: here both agree with the insertion order. */
        assert_int_equal(i, j);
    }
}

/* Oldest first: users created a second apart come in creation order whatever their names. */
static void
test_user_list_by_creation(void **state)
{
    struct fixture *f = *state;
    struct reg_user *all;
    int n = -1;
    const struct timespec pause = {1, 100 * 1000 * 1000};

    add_user(f, "zed", REG_PERM_SEARCH);
    nanosleep(&pause, NULL);
    add_user(f, "mia", REG_PERM_SEARCH);
    nanosleep(&pause, NULL);
    add_user(f, "abe", REG_PERM_ALL);
    assert_int_equal(reg_store_user_list(f->store, &f->arena, &all, &n), REG_OK);
    assert_int_equal(n, 3);
    assert_string_equal(all[0].name, "zed");
    assert_string_equal(all[1].name, "mia");
    assert_string_equal(all[2].name, "abe");
}

static void
test_user_update(void **state)
{
    struct fixture *f = *state;
    struct reg_user u, got;

    add_user(f, "bob", REG_PERM_SEARCH);
    u = user("bob", true, REG_PERM_ALL, "ignored by update");
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "bob", &got), REG_OK);
    assert_true(got.is_admin);
    assert_int_equal(got.perms, REG_PERM_ALL);
    /* The password stays. */
    assert_string_equal(got.password, "pbkdf2-sha256$1$x$y");
    /* With another admin, bob can lose admin. */
    add_user(f, "root", REG_PERM_ALL);
    u = user("bob", false, 0, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "bob", &got), REG_OK);
    assert_false(got.is_admin);
    assert_int_equal(got.perms, 0);
    assert_string_equal(got.password, "pbkdf2-sha256$1$x$y");
    /* A non-admin's permissions change freely. */
    u = user("bob", false, REG_PERM_UPLOAD | REG_PERM_DOWNLOAD, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "bob", &got), REG_OK);
    assert_int_equal(got.perms, REG_PERM_UPLOAD | REG_PERM_DOWNLOAD);
    /* Unknown user: REG_ENOTFOUND, whatever the update would do. */
    u = user("nobody", true, REG_PERM_ALL, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ENOTFOUND);
    u = user("nobody", false, 0, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ENOTFOUND);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "nobody", &got), REG_ENOTFOUND);
    assert_int_equal(user_count(f), 2);
    /* The refused promotion of nobody did not count an admin: root is the last one. */
    u = user("root", false, 0, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ECONFLICT);
}

static int
admin_count(struct fixture *f)
{
    struct reg_user *all;
    int n = -1, admins = 0;

    assert_int_equal(reg_store_user_list(f->store, &f->arena, &all, &n), REG_OK);
    for (int i = 0; i < n; i++)
        admins += all[i].is_admin;
    return admins;
}

/* user_remove of name must answer want; a wrong answer is reported (with the detail) and
 * counted in *bad, and the test goes on: a refused removal leaves the user in place either way. */
static void
expect_remove(struct fixture *f, int *bad, const char *name, enum reg_status want)
{
    enum reg_status st = reg_store_user_remove(f->store, name);

    CHECK(bad, st == want, "user_remove('%s'): status %d (%s), want %d", name, st,
          reg_error_detail(), want);
    if (st == REG_ECONFLICT)
        CHECK(bad, strstr(reg_error_detail(), name) != NULL, "detail [%s] does not name '%s'",
              reg_error_detail(), name);
}

/* The store refuses to remove the last admin, by removal or by update (REG_ECONFLICT, naming
 * the user); everything else about admins is allowed. */
static void
test_last_admin(void **state)
{
    struct fixture *f = *state;
    struct reg_user u, got;
    int bad = 0;

    add_user(f, "root", REG_PERM_ALL);
    add_user(f, "user", REG_PERM_SEARCH);
    expect_remove(f, &bad, "root", REG_ECONFLICT);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "root", &got), REG_OK);
    u = user("root", false, REG_PERM_SEARCH, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ECONFLICT);
    assert_non_null(strstr(reg_error_detail(), "root"));
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "root", &got), REG_OK);
    assert_true(got.is_admin);
    assert_int_equal(got.perms, REG_PERM_ALL);
    /* Staying admin is an update like any other. */
    u = user("root", true, REG_PERM_ADMIN | REG_PERM_SEARCH, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    u = user("root", true, REG_PERM_ALL, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    /* Non-admins come and go; unknown names are not found, not conflicts. */
    expect_remove(f, &bad, "user", REG_OK);
    expect_remove(f, &bad, "nobody", REG_ENOTFOUND);
    /* With a second admin, either one may go, but not both. */
    add_user(f, "root2", REG_PERM_ALL);
    expect_remove(f, &bad, "root", REG_OK);
    expect_remove(f, &bad, "root2", REG_ECONFLICT);
    u = user("root2", false, 0, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ECONFLICT);
    add_user(f, "root3", REG_PERM_ALL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    expect_remove(f, &bad, "root3", REG_ECONFLICT);
    assert_int_equal(admin_count(f), 1);
    /* Promotion counts: root2 is an admin again, so root3 may go. */
    u = user("root2", true, REG_PERM_ALL, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    expect_remove(f, &bad, "root3", REG_OK);
    expect_remove(f, &bad, "root2", REG_ECONFLICT);
    assert_int_equal(admin_count(f), 1);
    /* A store without any admin (users written without one) lets non-admins go. */
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    add_user(f, "plain", REG_PERM_SEARCH);
    expect_remove(f, &bad, "plain", REG_OK);
    /* After a reset the admin count starts again from the admins created since. */
    add_user(f, "boss", REG_PERM_ALL);
    expect_remove(f, &bad, "boss", REG_ECONFLICT);
    assert_int_equal(admin_count(f), 1);
    assert_int_equal(bad, 0);
}

static void
test_user_remove_cascades(void **state)
{
    struct fixture *f = *state;
    struct reg_user got;
    int64_t uses;

    add_user(f, "alice", REG_PERM_SEARCH);
    add_user(f, "bob", REG_PERM_SEARCH);
    add_token(f, "alice-1", "alice");
    add_token(f, "alice-2", "alice");
    add_token(f, "bob-1", "bob");
    assert_int_equal(use(f, "alice", "alice-1", 10, &uses), REG_OK);
    assert_int_equal(use(f, "alice", "alice-2", 10, &uses), REG_OK);

    assert_int_equal(reg_store_user_remove(f->store, "alice"), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alice", &got), REG_ENOTFOUND);
    /* Her tokens are gone with her: revoked. Bob's are not. */
    assert_int_equal(use(f, "alice", "alice-1", 10, &uses), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "revoked"));
    assert_int_equal(use(f, "alice", "alice-2", 10, &uses), REG_EAUTH);
    assert_int_equal(use(f, "bob", "bob-1", 10, &uses), REG_OK);
    assert_true(uses == 1);
    /* A new alice does not get the old tokens back. */
    add_user(f, "alice", REG_PERM_SEARCH);
    assert_int_equal(use(f, "alice", "alice-1", 10, &uses), REG_EAUTH);
    /* Removing twice, or someone unknown. */
    assert_int_equal(reg_store_user_remove(f->store, "bob"), REG_OK);
    assert_int_equal(reg_store_user_remove(f->store, "bob"), REG_ENOTFOUND);
    assert_int_equal(reg_store_user_remove(f->store, "nobody"), REG_ENOTFOUND);
    assert_int_equal(use(f, "bob", "bob-1", 10, &uses), REG_EAUTH);
    assert_int_equal(user_count(f), 1);
    /* More tokens than one batch of deletes (25). */
    for (int i = 0; i < 60; i++)
        add_token(f, reg_arena_sprintf(&f->arena, "a-%d", i), "alice");
    assert_int_equal(reg_store_user_remove(f->store, "alice"), REG_OK);
    for (int i = 0; i < 60; i += 7)
        assert_int_equal(use(f, "alice", reg_arena_sprintf(&f->arena, "a-%d", i), 10, &uses),
                         REG_EAUTH);
}

/* ------------------------------------------------------------------------------- tokens */

static void
test_token_use_counts(void **state)
{
    struct fixture *f = *state;
    int64_t uses = -1;
    int bad = 0;

    add_user(f, "alice", REG_PERM_SEARCH);
    add_token(f, "t1", "alice");
    add_token(f, "t2", "alice");
    /* Exact counting: 1, 2, ..., 5, then the limit. */
    for (int64_t i = 1; i <= 5; i++) {
        enum reg_status st = use(f, "alice", "t1", 5, &uses);
        CHECK(&bad, st == REG_OK && uses == i, "use %lld: status %d, uses %lld", (long long)i, st,
              (long long)uses);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(use(f, "alice", "t1", 5, &uses), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "limit"));
    assert_int_equal(use(f, "alice", "t1", 5, &uses), REG_EAUTH);
    /* The refused uses were not counted: a higher limit continues from 5. */
    assert_int_equal(use(f, "alice", "t1", 7, &uses), REG_OK);
    assert_true(uses == 6);
    assert_int_equal(use(f, "alice", "t1", 7, &uses), REG_OK);
    assert_true(uses == 7);
    assert_int_equal(use(f, "alice", "t1", 7, &uses), REG_EAUTH);
    /* Another token of the same user counts on its own. */
    assert_int_equal(use(f, "alice", "t2", 5, &uses), REG_OK);
    assert_true(uses == 1);
    /* A limit of 0 (or less) allows nothing. */
    add_token(f, "t3", "alice");
    assert_int_equal(use(f, "alice", "t3", 0, &uses), REG_EAUTH);
    assert_int_equal(use(f, "alice", "t3", -1, &uses), REG_EAUTH);
    assert_int_equal(use(f, "alice", "t3", 1, &uses), REG_OK);
    assert_true(uses == 1);
    assert_int_equal(use(f, "alice", "t3", 1, &uses), REG_EAUTH);
    /* A large limit. */
    add_token(f, "t4", "alice");
    for (int i = 0; i < 200; i++)
        assert_int_equal(use(f, "alice", "t4", 1000000000, &uses), REG_OK);
    assert_true(uses == 200);
}

static void
test_token_unknown(void **state)
{
    static const char *const ids[] = {"nope", "T1", "t1 ", "' OR '1'='1", ""};
    struct fixture *f = *state;
    int64_t uses;
    int bad = 0;

    add_user(f, "alice", REG_PERM_SEARCH);
    add_user(f, "bob", REG_PERM_SEARCH);
    add_token(f, "t1", "alice");
    for (int i = 0; i < NELEMS(ids); i++) {
        enum reg_status st = use(f, "alice", ids[i], 100, &uses);
        CHECK(&bad, st == REG_EAUTH && strstr(reg_error_detail(), "revoked"),
              "token_use('%s'): status %d (%s), want REG_EAUTH, revoked", ids[i], st,
              reg_error_detail());
    }
    assert_int_equal(bad, 0);
    /* A token is its user's: the right id under another user is unknown. */
    assert_int_equal(use(f, "bob", "t1", 100, &uses), REG_EAUTH);
    assert_int_equal(use(f, "nobody", "t1", 100, &uses), REG_EAUTH);
    /* None of that touched t1. */
    assert_int_equal(use(f, "alice", "t1", 100, &uses), REG_OK);
    assert_true(uses == 1);
}

/* What test_store_auth.c requires of token_insert: a token must belong to an existing user
 * (else a login racing the user's removal leaves a token that a re-created user of that name
 * inherits), and ids are unique (a duplicate must not reset the count). */
static void
test_token_insert_integrity(void **state)
{
    struct fixture *f = *state;
    int64_t uses;
    enum reg_status st;
    int bad = 0;

    add_user(f, "alice", REG_PERM_SEARCH);
    add_token(f, "t1", "alice");
    assert_int_equal(use(f, "alice", "t1", 100, &uses), REG_OK);
    st = reg_store_token_insert(f->store, "t9", "nobody");
    CHECK(&bad, st == REG_ECONFLICT, "token_insert for an unknown user: status %d, want %d", st,
          REG_ECONFLICT);
    st = use(f, "nobody", "t9", 100, &uses);
    CHECK(&bad, st == REG_EAUTH, "token_use of a token of an unknown user: status %d, want %d", st,
          REG_EAUTH);
    st = reg_store_token_insert(f->store, "t1", "alice");
    CHECK(&bad, st == REG_ECONFLICT, "token_insert of an existing id: status %d, want %d", st,
          REG_ECONFLICT);
    /* The refused duplicate left the count alone. */
    assert_int_equal(use(f, "alice", "t1", 100, &uses), REG_OK);
    CHECK(&bad, uses == 2, "uses after a duplicate token_insert: %lld, want 2", (long long)uses);
    assert_int_equal(bad, 0);
}

/* -------------------------------------------------------------------------------- audit */

static struct reg_artifact
artifact(const char *id, enum reg_artifact_type t, const char *name)
{
    struct reg_artifact art;

    memset(&art, 0, sizeof(art));
    snprintf(art.id, sizeof(art.id), "%s", id);
    art.type = t;
    art.name = name;
    return art;
}

static void
put_artifact(struct fixture *f, const char *id, enum reg_artifact_type t, const char *name)
{
    struct reg_artifact art = artifact(id, t, name);
    bool taken;

    art.url = reg_arena_sprintf(&f->arena, "https://example/%s", id);
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
}

static void
append(struct fixture *f, const char *id, enum reg_artifact_type t, const char *name,
       const char *who, bool is_admin, enum reg_audit_action action, int64_t date)
{
    struct reg_audit_entry e;

    memset(&e, 0, sizeof(e));
    e.user = who;
    e.is_admin = is_admin;
    e.date = date;
    e.artifact = artifact(id, t, name);
    e.action = action;
    assert_int_equal(reg_store_audit_append(f->store, &e), REG_OK);
}

static int
audit_count(struct fixture *f, const char *id)
{
    struct reg_audit_entry *entries;
    int n = -1;

    assert_int_equal(reg_store_audit_list(f->store, &f->arena, id, &entries, &n), REG_OK);
    return n;
}

static void
test_audit_append_list(void **state)
{
    struct fixture *f = *state;
    struct reg_audit_entry *e;
    int n = -1;
    const struct timespec ms = {0, 3 * 1000 * 1000};

    put_artifact(f, "111", REG_TYPE_MODEL, "bert");
    put_artifact(f, "222", REG_TYPE_DATASET, "squad");
    assert_int_equal(reg_store_audit_list(f->store, &f->arena, "111", &e, &n), REG_OK);
    assert_int_equal(n, 0);

    /* Dates deliberately out of order: the list is in append order, not by date. (A few ms
     * apart here; test_audit_many appends back to back.) */
    append(f, "111", REG_TYPE_MODEL, "bert", "alice", false, REG_AUDIT_CREATE, 2000);
    nanosleep(&ms, NULL);
    append(f, "222", REG_TYPE_DATASET, "squad", "bob", true, REG_AUDIT_CREATE, 1500);
    nanosleep(&ms, NULL);
    append(f, "111", REG_TYPE_MODEL, "bert", "bob", true, REG_AUDIT_DOWNLOAD, 1000);
    nanosleep(&ms, NULL);
    append(f, "111", REG_TYPE_MODEL, "bert v2", "x'\"` \xc3\xa9", false, REG_AUDIT_UPDATE, 3000);
    nanosleep(&ms, NULL);
    append(f, "111", REG_TYPE_MODEL, "bert v2", "alice", false, REG_AUDIT_RATE, 3000);
    nanosleep(&ms, NULL);
    append(f, "111", REG_TYPE_MODEL, "bert v2", "alice", false, REG_AUDIT_AUDIT, 3001);

    assert_int_equal(reg_store_audit_list(f->store, &f->arena, "111", &e, &n), REG_OK);
    assert_int_equal(n, 5);
    assert_string_equal(e[0].user, "alice");
    assert_false(e[0].is_admin);
    assert_true(e[0].date == 2000);
    assert_int_equal(e[0].action, REG_AUDIT_CREATE);
    assert_string_equal(e[0].artifact.id, "111");
    assert_string_equal(e[0].artifact.name, "bert");
    assert_int_equal(e[0].artifact.type, REG_TYPE_MODEL);
    assert_string_equal(e[1].user, "bob");
    assert_true(e[1].is_admin);
    assert_true(e[1].date == 1000);
    assert_int_equal(e[1].action, REG_AUDIT_DOWNLOAD);
    assert_string_equal(e[2].user, "x'\"` \xc3\xa9");
    assert_string_equal(e[2].artifact.name, "bert v2");
    assert_int_equal(e[2].action, REG_AUDIT_UPDATE);
    assert_int_equal(e[3].action, REG_AUDIT_RATE);
    assert_int_equal(e[4].action, REG_AUDIT_AUDIT);
    assert_true(e[4].date == 3001);

    assert_int_equal(reg_store_audit_list(f->store, &f->arena, "222", &e, &n), REG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(e[0].artifact.name, "squad");
    assert_int_equal(e[0].artifact.type, REG_TYPE_DATASET);
    /* Other ids: nothing, not even by prefix. */
    assert_int_equal(audit_count(f, "11"), 0);
    assert_int_equal(audit_count(f, "1111"), 0);
    assert_int_equal(audit_count(f, ""), 0);
    assert_int_equal(audit_count(f, "' OR '1'='1"), 0);
    /* The entries are not part of the artifact. */
    assert_string_equal(readme_of(f, "111"), "(null)");
}

/* Entries appended back to back (several per millisecond) are listed in append order. */
static void
test_audit_many(void **state)
{
    struct fixture *f = *state;
    struct reg_audit_entry *e;
    int n = -1, bad = 0;

    put_artifact(f, "7", REG_TYPE_CODE, "c");
    /* More than the first allocation (16). */
    for (int i = 0; i < 100; i++)
        append(f, "7", REG_TYPE_CODE, "c", reg_arena_sprintf(&f->arena, "user-%d", i), i % 2,
               (enum reg_audit_action)(i % 5), 1000 - i);
    assert_int_equal(reg_store_audit_list(f->store, &f->arena, "7", &e, &n), REG_OK);
    assert_int_equal(n, 100);
    for (int i = 0; i < 100; i++) {
        char want[32];
        snprintf(want, sizeof(want), "user-%d", i);
        CHECK(&bad, strcmp(e[i].user, want) == 0, "entry %d: user %s (date %lld), want %s", i,
              e[i].user, (long long)e[i].date, want);
        if (strcmp(e[i].user, want) != 0)
            continue;
        assert_int_equal(e[i].is_admin, i % 2);
        assert_int_equal(e[i].action, i % 5);
        assert_true(e[i].date == 1000 - i);
    }
    if (bad)
        fail_msg("%d of 100 audit entries appended back to back are out of append order", bad);
}

static void
test_audit_goes_with_artifact(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact art;

    put_artifact(f, "1", REG_TYPE_MODEL, "a");
    put_artifact(f, "2", REG_TYPE_MODEL, "b");
    for (int i = 0; i < 3; i++) {
        append(f, "1", REG_TYPE_MODEL, "a", "alice", false, REG_AUDIT_DOWNLOAD, 1000 + i);
        append(f, "2", REG_TYPE_MODEL, "b", "alice", false, REG_AUDIT_DOWNLOAD, 1000 + i);
    }
    /* More entries than one batch of deletes (25). */
    for (int i = 0; i < 40; i++)
        append(f, "1", REG_TYPE_MODEL, "a", "bob", false, REG_AUDIT_DOWNLOAD, 2000 + i);
    /* Entries of an id that never was an artifact are kept as they are. */
    append(f, "ghost", REG_TYPE_MODEL, "g", "alice", false, REG_AUDIT_CREATE, 1);
    /* An update keeps them. */
    art = artifact("1", REG_TYPE_MODEL, "a2");
    art.url = "https://example/1";
    assert_int_equal(reg_store_update(f->store, &art), REG_OK);
    assert_int_equal(audit_count(f, "1"), 43);
    /* Deleting the artifact deletes its entries, only its own. */
    assert_int_equal(reg_store_remove(f->store, "1"), REG_OK);
    assert_int_equal(audit_count(f, "1"), 0);
    assert_int_equal(audit_count(f, "2"), 3);
    assert_int_equal(audit_count(f, "ghost"), 1);
    /* A new artifact under the old id starts with an empty trail. */
    put_artifact(f, "1", REG_TYPE_MODEL, "a");
    assert_int_equal(audit_count(f, "1"), 0);
    /* A failed removal (unknown id) deletes nothing. */
    assert_int_equal(reg_store_remove(f->store, "ghost"), REG_ENOTFOUND);
    assert_int_equal(audit_count(f, "ghost"), 1);
}

/* ------------------------------------------------------------------------------- secret */

static void
fill(unsigned char out[32], unsigned char v)
{
    for (int i = 0; i < 32; i++)
        out[i] = (unsigned char)(v + i);
}

static void
test_secret(void **state)
{
    struct fixture *f = *state;
    unsigned char a[32], b[32], out[32];

    fill(a, 1);
    fill(b, 100);
    /* The first candidate is stored and returned. */
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(f->store, a, out), REG_OK);
    assert_memory_equal(out, a, 32);
    /* Later candidates are ignored, from this store or another on the table. */
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(f->store, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    {
        struct reg_store *other = open_other(f);
        memset(out, 0, sizeof(out));
        assert_int_equal(reg_store_secret(other, b, out), REG_OK);
        assert_memory_equal(out, a, 32);
        reg_store_close(other);
    }
}

/* Any byte value, NULs included, survives. */
static void
test_secret_any_bytes(void **state)
{
    struct fixture *f = *state;
    unsigned char zeros[32] = {0}, ff[32], out[32];

    memset(ff, 0xff, sizeof(ff));
    memset(out, 0x77, sizeof(out));
    assert_int_equal(reg_store_secret(f->store, zeros, out), REG_OK);
    assert_memory_equal(out, zeros, 32);
    assert_int_equal(reg_store_secret(f->store, ff, out), REG_OK);
    assert_memory_equal(out, zeros, 32);
}

static void
test_reset_keeps_secret(void **state)
{
    struct fixture *f = *state;
    unsigned char a[32], b[32], out[32];
    struct reg_user got;
    int64_t uses;

    fill(a, 7);
    fill(b, 77);
    assert_int_equal(reg_store_secret(f->store, a, out), REG_OK);
    add_user(f, "alice", REG_PERM_ALL);
    add_token(f, "t1", "alice");
    put_artifact(f, "1", REG_TYPE_MODEL, "a");
    append(f, "1", REG_TYPE_MODEL, "a", "alice", true, REG_AUDIT_CREATE, 1);
    append(f, "ghost", REG_TYPE_MODEL, "g", "alice", true, REG_AUDIT_CREATE, 1);

    assert_int_equal(reg_store_reset(f->store), REG_OK);
    assert_int_equal(user_count(f), 0);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alice", &got), REG_ENOTFOUND);
    assert_int_equal(use(f, "alice", "t1", 100, &uses), REG_EAUTH);
    assert_int_equal(audit_count(f, "1"), 0);
    assert_int_equal(audit_count(f, "ghost"), 0);
    assert_int_equal(count(f), 0);
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(f->store, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    /* Names, ids and urls are free again. */
    add_user(f, "alice", REG_PERM_ALL);
    add_token(f, "t1", "alice");
    assert_int_equal(use(f, "alice", "t1", 100, &uses), REG_OK);
    assert_true(uses == 1);
    put_artifact(f, "1", REG_TYPE_MODEL, "a");
    /* A store opened after the reset has the same secret. */
    {
        struct reg_store *other = open_other(f);
        memset(out, 0, sizeof(out));
        assert_int_equal(reg_store_secret(other, b, out), REG_OK);
        assert_memory_equal(out, a, 32);
        reg_store_close(other);
    }
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

    add_user(f, "alice", REG_PERM_SEARCH);
    add_token(f, "shared", "alice");
    run_children(f, PROCS, spend, status);
    for (int p = 0; p < PROCS; p++) {
        CHECK(&bad, status[p] <= USES_EACH, "process %d: status %d", p, status[p]);
        if (status[p] <= USES_EACH)
            total += status[p];
    }
    assert_int_equal(bad, 0);
    assert_int_equal(total, MAX_USES);
    assert_int_equal(use(f, "alice", "shared", MAX_USES, &uses), REG_EAUTH);
    assert_int_equal(use(f, "alice", "shared", MAX_USES + 1, &uses), REG_OK);
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
    struct reg_user u = user(index % 2 ? "root-b" : "root-a", false, REG_PERM_SEARCH, NULL);
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
        assert_int_equal(reg_store_reset(f->store), REG_OK);
        add_user(f, "root-a", REG_PERM_ALL);
        add_user(f, "root-b", REG_PERM_ALL);
        run_children(f, 2, round % 2 ? demote_admin : remove_admin, status);
        CHECK(&bad, status[0] + status[1] == 1 && status[0] <= 1 && status[1] <= 1,
              "round %d (%s): exit statuses %d and %d, want one 0 and one 1", round,
              round % 2 ? "demote" : "remove", status[0], status[1]);
        CHECK(&bad, admin_count(f) == 1, "round %d: %d admins remain, want 1", round,
              admin_count(f));
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
    assert_int_equal(reg_store_list(f->store, &f->arena, &byname, 1, 0, 10, &page), REG_OK);
    if (won != 1 || lost != RACERS - 1 || page.count != 1)
        fail_msg("%d processes registering one url at once: %d registered, %d refused, %d "
                 "other; %d artifacts with that url exist, want exactly 1",
                 RACERS, won, lost, RACERS - won - lost, page.count);
    assert_int_equal(count(f), 1);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest artifact_tests[] = {
        TEST(test_insert_get),
        TEST(test_insert_conflicts),
        TEST(test_insert_same_id_same_url_keeps_claim),
        TEST(test_insert_taken_id_keeps_readme),
        TEST(test_update),
        TEST(test_update_clears_readme_and_metadata),
        TEST(test_remove),
        TEST(test_list_filters),
        TEST(test_list_item_fields),
        TEST(test_list_pagination),
        TEST(test_list_pagination_under_writes),
        TEST(test_scan),
        TEST(test_scan_many_pages),
        TEST(test_generation),
        TEST(test_count),
        TEST(test_reset),
        TEST(test_readme_1mb),
        TEST(test_readme_max),
        TEST(test_longest_url),
    };
    const struct CMUnitTest open_tests[] = {
        cmocka_unit_test(test_open_creates_table),
        TEST(test_open_twice),
        cmocka_unit_test(test_open_refuses_plain_http_elsewhere),
        cmocka_unit_test(test_open_dead_endpoint),
        cmocka_unit_test(test_open_bad_config),
        cmocka_unit_test(test_close_null),
    };
    const struct CMUnitTest auth_tests[] = {
        TEST(test_user_insert_get),
        TEST(test_user_unknown_names),
        TEST(test_user_list),
        TEST(test_user_list_by_creation),
        TEST(test_user_update),
        TEST(test_last_admin),
        TEST(test_user_remove_cascades),
        TEST(test_token_use_counts),
        TEST(test_token_unknown),
        TEST(test_token_insert_integrity),
        TEST(test_audit_append_list),
        TEST(test_audit_many),
        TEST(test_audit_goes_with_artifact),
        TEST(test_secret),
        TEST(test_secret_any_bytes),
        TEST(test_reset_keeps_secret),
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
    failed = cmocka_run_group_tests_name("store/dynamodb artifacts", artifact_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("store/dynamodb open", open_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("store/dynamodb auth", auth_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("store/dynamodb processes", process_tests, NULL, NULL);
    return failed;
}
