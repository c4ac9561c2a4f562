/*
 * test_store_sqlite.c - every operation of the SQLite store, once on ":memory:" and once on a
 * file in a temporary directory; then what only a file has: reopening keeps the data and the
 * schema version, a newer schema is refused, two connections see each other's writes.
 */
#include "unit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

struct fixture {
    struct reg_store *store;
    struct reg_arena arena;
    char dir[64];  /* "" for ":memory:" */
    char path[96]; /* the database file, or ":memory:" */
};

static struct fixture *
fixture_new(bool on_file)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    reg_arena_init(&f->arena);
    if (on_file) {
        strcpy(f->dir, "/tmp/reg-test-store-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/registry.db", f->dir);
    } else {
        strcpy(f->path, ":memory:");
    }
    assert_int_equal(reg_store_sqlite_open(f->path, &f->store), REG_OK);
    assert_non_null(f->store);
    return f;
}

static void
remove_files(const struct fixture *f)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[128];

    if (!f->dir[0])
        return;
    for (int i = 0; i < NELEMS(suffixes); i++) {
        snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    assert_int_equal(rmdir(f->dir), 0);
}

static int
setup_memory(void **state)
{
    *state = fixture_new(false);
    return 0;
}

static int
setup_file(void **state)
{
    *state = fixture_new(true);
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    reg_store_close(f->store);
    reg_arena_cleanup(&f->arena);
    remove_files(f);
    free(f);
    return 0;
}

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

    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
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

static void
test_insert_get(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact art = make(f, "1234567890", REG_TYPE_MODEL, "bert-base-uncased",
                                   "https://huggingface.co/google-bert/bert-base-uncased");
    struct reg_artifact got;
    bool taken = true;
    int64_t seq;

    art.readme = "# BERT\n\nmodel card \xe2\x82\xac";
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
    assert_string_equal(got.readme, "# BERT\n\nmodel card \xe2\x82\xac");
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
    /* Same id and same type + url: the id is what the caller can fix. */
    b = make(f, "100", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m");
    taken = false;
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_ECONFLICT);
    assert_true(taken);
    /* Failed inserts change nothing. */
    assert_int_equal(count(f), 1);
    assert_true(generation(f) == g);
    /* The same url under another type is another artifact. */
    b = make(f, "102", REG_TYPE_DATASET, "m", "https://huggingface.co/o/m");
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_OK);
    assert_false(taken);
    /* Names are not unique. */
    b = make(f, "103", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m3");
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_OK);
    assert_int_equal(count(f), 3);
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
    /* The old url is free again. */
    {
        struct reg_artifact d = make(f, "4", REG_TYPE_MODEL, "a", "https://huggingface.co/o/a");
        assert_int_equal(reg_store_insert(f->store, &d, &taken), REG_OK);
    }
    /* Clearing readme and metadata. */
    a.readme = NULL;
    a.metadata = NULL;
    assert_int_equal(reg_store_update(f->store, &a), REG_OK);
    assert_int_equal(reg_store_get(f->store, &f->arena, "1", &got), REG_OK);
    assert_null(got.readme);
    assert_null(got.metadata);
    /* Updating to its own url is not a conflict. */
    assert_int_equal(reg_store_update(f->store, &a), REG_OK);

    /* Not found. */
    g = generation(f);
    {
        struct reg_artifact ghost = make(f, "999", REG_TYPE_MODEL, "g", "https://x/g");
        assert_int_equal(reg_store_update(f->store, &ghost), REG_ENOTFOUND);
        assert_non_null(strstr(reg_error_detail(), "999"));
    }
    /* The url of another artifact of the same type. */
    a.url = "https://huggingface.co/o/b";
    assert_int_equal(reg_store_update(f->store, &a), REG_ECONFLICT);
    assert_true(generation(f) == g);
    assert_int_equal(reg_store_get(f->store, &f->arena, "1", &got), REG_OK);
    assert_string_equal(got.url, "https://huggingface.co/o/a2");
    /* The url of an artifact of another type is fine. */
    a.url = "https://huggingface.co/o/c";
    assert_int_equal(reg_store_update(f->store, &a), REG_OK);
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
    assert_true(generation(f) == g);
    /* The id and the url can be used again. */
    put(f, "1", REG_TYPE_MODEL, "a");
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

static const char *
list(struct fixture *f, const struct reg_store_filter *filters, int n)
{
    struct reg_store_page page;

    assert_int_equal(reg_store_list(f->store, &f->arena, filters, n, 0, 100, &page), REG_OK);
    assert_int_equal(page.next_after, 0);
    return page_names(f, &page);
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
    assert_string_equal(page.items[0].id, "a-1");
    assert_int_equal(page.items[0].type, REG_TYPE_DATASET);
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

/* Walks every page of filter; checks each page's size and returns the number of items,
 * recording which indices (from the names "n-%03d") were seen. */
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
            assert_int_equal(page.count, limit);
            assert_int_equal(page.next_after, page.items[page.count - 1].seq);
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
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, page.next_after, 100, &page),
                     REG_OK);
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

    /* Other page sizes, including one that divides the total exactly. */
    for (int limit = 1; limit <= 260; limit += (limit < 10 ? 1 : 49)) {
        memset(seen, 0, sizeof(seen));
        assert_int_equal(walk(f, &all, limit, seen, 250, NULL), 250);
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
};

static enum reg_status
scan_fn(void *p, const struct reg_artifact *art)
{
    struct scan_ctx *c = p;

    c->names = reg_arena_sprintf(c->arena, "%s%s%s", c->names, c->calls ? "," : "", art->name);
    c->readmes = reg_arena_sprintf(c->arena, "%s%s%s", c->readmes, c->calls ? "," : "",
                                   art->readme ? art->readme : "(null)");
    assert_true(art->seq > 0);
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
    struct scan_ctx ctx = {&f->arena, "", "", 0, 0};
    struct reg_artifact art;
    bool taken;

    assert_int_equal(reg_store_scan(f->store, scan_fn, &ctx), REG_OK);
    assert_int_equal(ctx.calls, 0);
    put(f, "1", REG_TYPE_MODEL, "a");
    art = make(f, "2", REG_TYPE_DATASET, "b", "https://example/b");
    art.readme = "readme of b";
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
    put(f, "3", REG_TYPE_CODE, "c");
    assert_int_equal(reg_store_remove(f->store, "1"), REG_OK);
    put(f, "4", REG_TYPE_CODE, "d");
    assert_int_equal(reg_store_scan(f->store, scan_fn, &ctx), REG_OK);
    assert_int_equal(ctx.calls, 3);
    assert_string_equal(ctx.names, "b,c,d");
    assert_string_equal(ctx.readmes, "readme of b,(null),(null)");
    /* A non-OK return stops the scan and is what scan returns; the store stays usable. */
    ctx = (struct scan_ctx){&f->arena, "", "", 0, 2};
    assert_int_equal(reg_store_scan(f->store, scan_fn, &ctx), REG_ETOOLARGE);
    assert_int_equal(ctx.calls, 2);
    ctx = (struct scan_ctx){&f->arena, "", "", 0, 0};
    assert_int_equal(reg_store_scan(f->store, scan_fn, &ctx), REG_OK);
    assert_int_equal(ctx.calls, 3);
    put(f, "5", REG_TYPE_CODE, "e");
    assert_int_equal(count(f), 4);
}

static void
test_generation(void **state)
{
    struct fixture *f = *state;
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    struct reg_store_page page;
    struct reg_artifact art;
    uint64_t g0 = generation(f), g1, g2, g3, g4;
    int64_t n;

    /* Reads leave it alone. */
    assert_true(generation(f) == g0);
    put(f, "1", REG_TYPE_MODEL, "a");
    g1 = generation(f);
    assert_true(g1 != g0);
    assert_int_equal(reg_store_get(f->store, &f->arena, "1", &art), REG_OK);
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, 0, 10, &page), REG_OK);
    assert_int_equal(reg_store_count(f->store, &n), REG_OK);
    assert_true(generation(f) == g1);
    /* Every write changes it, to a value it never had. */
    art.readme = "changed";
    assert_int_equal(reg_store_update(f->store, &art), REG_OK);
    g2 = generation(f);
    assert_true(g2 != g1 && g2 != g0);
    put(f, "2", REG_TYPE_MODEL, "b");
    assert_int_equal(reg_store_remove(f->store, "1"), REG_OK);
    g3 = generation(f);
    assert_true(g3 != g2 && g3 != g1 && g3 != g0);
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    g4 = generation(f);
    assert_true(g4 != g3 && g4 != g2 && g4 != g1 && g4 != g0);
}

static void
test_reset(void **state)
{
    struct fixture *f = *state;
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    struct reg_store_page page;
    struct reg_artifact art;
    int64_t last = 0;

    insert_numbered(f, 30);
    last = put(f, "last", REG_TYPE_MODEL, "last");
    assert_int_equal(count(f), 31);
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    assert_int_equal(count(f), 0);
    assert_int_equal(reg_store_get(f->store, &f->arena, "last", &art), REG_ENOTFOUND);
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, 0, 100, &page), REG_OK);
    assert_int_equal(page.count, 0);
    /* Reset of an empty store is fine; ids and urls are free again; seq never goes back, so a
     * cursor from before the reset cannot skip new rows' order. */
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    assert_true(put(f, "last", REG_TYPE_MODEL, "last") > last);
    assert_int_equal(count(f), 1);
}

static void
test_close_null(void **state)
{
    (void)state;
    reg_store_close(NULL);
}

/* PRAGMA user_version of the file, read with a connection of the test's own. */
static int
user_version(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int v = -1;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void
exec_sql(const char *path, const char *sql)
{
    sqlite3 *db;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void
test_reopen_keeps_data_and_schema(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact art =
        make(f, "42", REG_TYPE_DATASET, "squad", "https://huggingface.co/datasets/rajpurkar/squad");
    struct reg_artifact got;
    bool taken;
    int version;
    uint64_t g;
    int64_t seq;

    art.readme = "persisted readme";
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
    seq = put(f, "43", REG_TYPE_MODEL, "m");
    g = generation(f);
    version = user_version(f->path);
    assert_true(version >= 1);
    reg_store_close(f->store);
    f->store = NULL;

    assert_int_equal(reg_store_sqlite_open(f->path, &f->store), REG_OK);
    assert_int_equal(user_version(f->path), version);
    assert_int_equal(count(f), 2);
    assert_true(generation(f) == g);
    assert_int_equal(reg_store_get(f->store, &f->arena, "42", &got), REG_OK);
    assert_string_equal(got.name, "squad");
    assert_string_equal(got.readme, "persisted readme");
    assert_int_equal(got.type, REG_TYPE_DATASET);
    /* Constraints survive too, and seq keeps growing. */
    art = make(f, "44", REG_TYPE_DATASET, "dup", "https://huggingface.co/datasets/rajpurkar/squad");
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_ECONFLICT);
    assert_false(taken);
    assert_true(put(f, "45", REG_TYPE_MODEL, "n") > seq);
    /* And a third open, after a reset, still has the schema. */
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    reg_store_close(f->store);
    f->store = NULL;
    assert_int_equal(reg_store_sqlite_open(f->path, &f->store), REG_OK);
    assert_int_equal(user_version(f->path), version);
    assert_int_equal(count(f), 0);
}

static void
test_newer_schema_refused(void **state)
{
    struct fixture *f = *state;
    static struct reg_store dummy;
    struct reg_store *s = &dummy;

    reg_store_close(f->store);
    f->store = NULL;
    exec_sql(f->path, "PRAGMA user_version = 999");
    assert_int_equal(reg_store_sqlite_open(f->path, &s), REG_ESTORE);
    assert_null(s);
    assert_non_null(strstr(reg_error_detail(), "999"));
    /* The file is left as it was. */
    assert_int_equal(user_version(f->path), 999);
}

static void
test_open_failure(void **state)
{
    static struct reg_store dummy;
    struct reg_store *s = &dummy;

    (void)state;
    assert_int_equal(reg_store_sqlite_open("/nonexistent-dir/sub/registry.db", &s), REG_ESTORE);
    assert_null(s);
    assert_true(strlen(reg_error_detail()) > 0);
}

static void
test_two_connections(void **state)
{
    struct fixture *f = *state;
    struct reg_store *other;
    struct reg_artifact got;
    uint64_t g_before, g_after;
    int64_t n = -1;

    assert_int_equal(reg_store_sqlite_open(f->path, &other), REG_OK);
    assert_int_equal(reg_store_generation(other, &g_before), REG_OK);
    put(f, "1", REG_TYPE_MODEL, "a");
    assert_int_equal(reg_store_generation(other, &g_after), REG_OK);
    assert_true(g_after != g_before);
    assert_int_equal(reg_store_get(other, &f->arena, "1", &got), REG_OK);
    assert_string_equal(got.name, "a");
    assert_int_equal(reg_store_remove(other, "1"), REG_OK);
    assert_int_equal(count(f), 0);
    assert_int_equal(reg_store_count(other, &n), REG_OK);
    assert_int_equal(n, 0);
    reg_store_close(other);
}

#define OPENERS 8
#define OPEN_ROUNDS 5

/* Forks OPENERS processes that each open path and insert one artifact; returns how many
 * failed (each reported). */
static int
open_together(const char *path)
{
    int bad = 0;

    for (int p = 0; p < OPENERS; p++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            struct reg_store *s;
            struct reg_artifact art;
            bool taken;
            char url[64];
            /* The store logs its errors; the status says enough here. */
            if (!freopen("/dev/null", "w", stderr))
                _exit(3);
            memset(&art, 0, sizeof(art));
            snprintf(art.id, sizeof(art.id), "w%d", p);
            snprintf(url, sizeof(url), "https://example/w%d", p);
            art.name = "worker";
            art.url = url;
            if (reg_store_sqlite_open(path, &s) != REG_OK)
                _exit(1);
            if (reg_store_insert(s, &art, &taken) != REG_OK)
                _exit(2);
            reg_store_close(s);
            _exit(0);
        }
    }
    for (int p = 0; p < OPENERS; p++) {
        int status;
        assert_true(wait(&status) > 0);
        CHECK(&bad, WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: an opener %s (exit %d)",
              path,
              WIFEXITED(status) && WEXITSTATUS(status) == 1 ? "could not open the store" : "failed",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    return bad;
}

/* Opens the store while another process holds a write transaction on the file for 300 ms,
 * well inside REG_SQLITE_BUSY_MS: the open must wait for the lock, not fail. The lock holder
 * is a child that opens its own connection (no connection crosses the fork). */
static enum reg_status
open_while_locked(struct fixture *f)
{
    int fds[2];
    pid_t pid;
    char c;
    int status;
    enum reg_status st;

    assert_null(f->store);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const struct timespec hold = {0, 300 * 1000 * 1000};
        sqlite3 *db;
        int rc = sqlite3_open(f->path, &db);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (write(fds[1], "x", 1) != 1 || rc != SQLITE_OK)
            _exit(1);
        nanosleep(&hold, NULL);
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(db);
        _exit(rc == SQLITE_OK ? 0 : 2);
    }
    /* The child holds the lock once it wrote. */
    assert_int_equal(read(fds[0], &c, 1), 1);
    st = reg_store_sqlite_open(f->path, &f->store);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fds[0]);
    close(fds[1]);
    return st;
}

/* A store file already in WAL mode, locked by another writer (a worker inserting). */
static void
test_open_waits_for_writer_wal(void **state)
{
    struct fixture *f = *state;

    reg_store_close(f->store);
    f->store = NULL;
    assert_int_equal(open_while_locked(f), REG_OK);
    assert_int_equal(count(f), 0);
}

/* A new file, locked by another writer before any schema exists: what a worker meets when
 * another one, starting at the same moment, switches the file to WAL. */
static void
test_open_waits_for_writer_new_file(void **state)
{
    struct fixture *f = *state;
    enum reg_status st;

    reg_store_close(f->store);
    f->store = NULL;
    assert_int_equal(unlink(f->path), 0);
    st = open_while_locked(f);
    if (st != REG_OK)
        fail_msg("open of a new file during a 300 ms write lock: status %d (%s), want REG_OK "
                 "after waiting",
                 st, reg_error_detail());
    assert_int_equal(count(f), 0);
}

/* Workers starting together on an existing store file: each opens and inserts; none may
 * fail. */
static void
test_concurrent_open_existing(void **state)
{
    struct fixture *f = *state;
    int bad = 0;
    int64_t total = 0;

    for (int round = 0; round < OPEN_ROUNDS; round++) {
        assert_int_equal(reg_store_reset(f->store), REG_OK);
        /* No connection may cross a fork. */
        reg_store_close(f->store);
        f->store = NULL;
        bad += open_together(f->path);
        assert_int_equal(reg_store_sqlite_open(f->path, &f->store), REG_OK);
        total += count(f);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(total, OPENERS * OPEN_ROUNDS);
}

static void
test_store_open_by_config(void **state)
{
    struct fixture *f = *state;
    struct reg_config cfg;
    struct reg_store *s = NULL;
    char data_dir[128], db[160];

    memset(&cfg, 0, sizeof(cfg));
    /* The data directory is created when missing; the file is registry.db inside it. */
    snprintf(data_dir, sizeof(data_dir), "%s/data", f->dir);
    cfg.data_dir = data_dir;
    cfg.store = "sqlite";
    assert_int_equal(reg_store_open(&cfg, &s), REG_OK);
    assert_non_null(s);
    assert_string_equal(s->ops->name, "sqlite");
    reg_store_close(s);
    snprintf(db, sizeof(db), "%s/registry.db", data_dir);
    assert_int_equal(access(db, F_OK), 0);
    assert_true(user_version(db) >= 1);
    /* An existing directory is fine. */
    assert_int_equal(reg_store_open(&cfg, &s), REG_OK);
    reg_store_close(s);
    unlink(db);
    snprintf(db, sizeof(db), "%s/registry.db-wal", data_dir);
    unlink(db);
    snprintf(db, sizeof(db), "%s/registry.db-shm", data_dir);
    unlink(db);
    assert_int_equal(rmdir(data_dir), 0);
    /* Unknown backends are refused. */
    cfg.store = "dynamo";
    s = f->store;
    assert_int_equal(reg_store_open(&cfg, &s), REG_EINVAL);
    assert_null(s);
}

#define ON_MEMORY(fn) cmocka_unit_test_setup_teardown(fn, setup_memory, teardown)
#define ON_FILE(fn) cmocka_unit_test_setup_teardown(fn, setup_file, teardown)

int
main(void)
{
    const struct CMUnitTest memory_tests[] = {
        ON_MEMORY(test_insert_get),
        ON_MEMORY(test_insert_conflicts),
        ON_MEMORY(test_update),
        ON_MEMORY(test_remove),
        ON_MEMORY(test_list_filters),
        ON_MEMORY(test_list_item_fields),
        ON_MEMORY(test_list_pagination),
        ON_MEMORY(test_list_pagination_under_writes),
        ON_MEMORY(test_scan),
        ON_MEMORY(test_generation),
        ON_MEMORY(test_reset),
        cmocka_unit_test(test_close_null),
        cmocka_unit_test(test_open_failure),
    };
    const struct CMUnitTest file_tests[] = {
        ON_FILE(test_insert_get),
        ON_FILE(test_insert_conflicts),
        ON_FILE(test_update),
        ON_FILE(test_remove),
        ON_FILE(test_list_filters),
        ON_FILE(test_list_item_fields),
        ON_FILE(test_list_pagination),
        ON_FILE(test_list_pagination_under_writes),
        ON_FILE(test_scan),
        ON_FILE(test_generation),
        ON_FILE(test_reset),
        ON_FILE(test_reopen_keeps_data_and_schema),
        ON_FILE(test_newer_schema_refused),
        ON_FILE(test_two_connections),
        ON_FILE(test_open_waits_for_writer_wal),
        ON_FILE(test_open_waits_for_writer_new_file),
        ON_FILE(test_concurrent_open_existing),
        ON_FILE(test_store_open_by_config),
    };
    int failed = cmocka_run_group_tests_name("store/sqlite :memory:", memory_tests, NULL, NULL);

    failed += cmocka_run_group_tests_name("store/sqlite file", file_tests, NULL, NULL);
    return failed;
}
