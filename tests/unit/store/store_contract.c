/*
 * store_contract.c - the cases of the store contract (store_contract.h says how a backend's test
 * file runs them). Each case gets a fresh, empty store and checks only what lib/store/store.h
 * promises; strings the store returns live in the case's own arena. Included, not compiled on
 * its own: every function is static.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/users.h"
#include "core/audit.h"
#include "core/groups.h"
#include "core/sensitive.h"
#include "store/store.h"
#include "store/store_contract.h"
#include "store/store_helpers.h"

/* ------------------------------------------------------------------------------ artifacts */

static void
sc_case_insert_get(struct contract *f)
{
    struct reg_artifact art = sc_make(f, "1234567890", REG_TYPE_MODEL, "bert-base-uncased",
                                      "https://huggingface.co/google-bert/bert-base-uncased");
    struct reg_artifact got;
    bool taken = true;
    int64_t seq;

    art.readme = "# BERT\n\nmodel card \xe2\x82\xac \"quoted\" \\ / \t";
    art.metadata = "{\"downloads\":5}";
    assert_int_equal(sc_count(f), 0);
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
    assert_false(taken);
    assert_true(art.seq > 0);
    seq = art.seq;
    assert_int_equal(sc_count(f), 1);

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
    art = sc_make(f, "2", REG_TYPE_CODE, "whisper", "https://github.com/openai/whisper");
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
sc_case_insert_conflicts(struct contract *f)
{
    struct reg_artifact a = sc_make(f, "100", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m");
    struct reg_artifact b;
    bool taken;
    uint64_t g;

    assert_int_equal(reg_store_insert(f->store, &a, &taken), REG_OK);
    g = sc_generation(f);

    /* Same id, other url: the id is taken. */
    b = sc_make(f, "100", REG_TYPE_MODEL, "other", "https://huggingface.co/o/other");
    taken = false;
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_ECONFLICT);
    assert_true(taken);
    /* Same id, other type. */
    b = sc_make(f, "100", REG_TYPE_CODE, "other", "https://github.com/o/other");
    taken = false;
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_ECONFLICT);
    assert_true(taken);
    /* Other id, same type + url: the url is registered. */
    b = sc_make(f, "101", REG_TYPE_MODEL, "m2", "https://huggingface.co/o/m");
    taken = true;
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_ECONFLICT);
    assert_false(taken);
    assert_non_null(strstr(reg_error_detail(), "https://huggingface.co/o/m"));
    /* Failed inserts change nothing. */
    assert_int_equal(sc_count(f), 1);
    assert_true(sc_generation(f) == g);
    /* The urls the refused inserts tried are free. */
    b = sc_make(f, "104", REG_TYPE_MODEL, "other", "https://huggingface.co/o/other");
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_OK);
    assert_int_equal(reg_store_remove(f->store, "104"), REG_OK);
    g = sc_generation(f);
    /* Failed inserts change nothing. */
    assert_int_equal(sc_count(f), 1);
    /* The same url under another type is another artifact. */
    b = sc_make(f, "102", REG_TYPE_DATASET, "m", "https://huggingface.co/o/m");
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_OK);
    assert_false(taken);
    assert_true(sc_generation(f) != g);
    /* Names are not unique. */
    b = sc_make(f, "103", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m3");
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_OK);
    assert_int_equal(sc_count(f), 3);
}

/* Same id and same type + url as a registered artifact: REG_ECONFLICT with *id_taken (the
 * caller picks another id), and the registered artifact keeps its url: a third artifact with
 * that url is still refused. */
static void
sc_case_insert_same_id_same_url_keeps_claim(struct contract *f)
{
    struct reg_artifact a = sc_make(f, "100", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m");
    struct reg_artifact b;
    bool taken;
    uint64_t g;

    assert_int_equal(reg_store_insert(f->store, &a, &taken), REG_OK);
    g = sc_generation(f);
    b = sc_make(f, "100", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m");
    taken = false;
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_ECONFLICT);
    assert_true(taken);
    assert_int_equal(sc_count(f), 1);
    assert_true(sc_generation(f) == g);
    /* The caller retries with a fresh id, as registry.c does: the url is still registered. */
    b = sc_make(f, "101", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m");
    taken = true;
    if (reg_store_insert(f->store, &b, &taken) == REG_OK)
        fail_msg("a second model with url https://huggingface.co/o/m was registered (id 101) "
                 "after an insert of id 100 with that url was refused as id-taken: the refused "
                 "insert released the claim of the artifact that holds the url");
    assert_false(taken);
    assert_int_equal(sc_count(f), 1);
}

/* An insert refused because its id is taken leaves the holder of that id as it was, README
 * included. */
static void
sc_case_insert_taken_id_keeps_readme(struct contract *f)
{
    struct reg_artifact a = sc_make(f, "100", REG_TYPE_MODEL, "m", "https://huggingface.co/o/m");
    struct reg_artifact b = sc_make(f, "100", REG_TYPE_MODEL, "x", "https://huggingface.co/o/x");
    struct reg_artifact c = sc_make(f, "200", REG_TYPE_MODEL, "c", "https://huggingface.co/o/c");
    struct reg_artifact d = sc_make(f, "200", REG_TYPE_CODE, "d", "https://github.com/o/d");
    bool taken = false;
    int bad = 0;
    const char *got;

    a.readme = "the README of 100";
    assert_int_equal(reg_store_insert(f->store, &a, &taken), REG_OK);
    b.readme = "the README of a refused insert";
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_ECONFLICT);
    assert_true(taken);
    got = sc_readme_of(f, "100");
    CHECK(&bad, strcmp(got, "the README of 100") == 0,
          "README of 100 after a refused insert of id 100: [%s], want [the README of 100]", got);
    /* An artifact without README, and a refused insert with one. */
    assert_int_equal(reg_store_insert(f->store, &c, &taken), REG_OK);
    d.readme = "not c's";
    assert_int_equal(reg_store_insert(f->store, &d, &taken), REG_ECONFLICT);
    assert_true(taken);
    got = sc_readme_of(f, "200");
    CHECK(&bad, strcmp(got, "(null)") == 0,
          "README of 200 (none) after a refused insert of id 200: [%s], want none", got);
    assert_int_equal(bad, 0);
}

static void
sc_case_update(struct contract *f)
{
    struct reg_artifact a = sc_make(f, "1", REG_TYPE_MODEL, "a", "https://huggingface.co/o/a");
    struct reg_artifact b = sc_make(f, "2", REG_TYPE_MODEL, "b", "https://huggingface.co/o/b");
    struct reg_artifact c = sc_make(f, "3", REG_TYPE_DATASET, "c", "https://huggingface.co/o/c");
    struct reg_artifact got;
    bool taken;
    uint64_t g;
    int64_t seq_a;

    assert_int_equal(reg_store_insert(f->store, &a, &taken), REG_OK);
    assert_int_equal(reg_store_insert(f->store, &b, &taken), REG_OK);
    assert_int_equal(reg_store_insert(f->store, &c, &taken), REG_OK);
    seq_a = a.seq;

    /* Name, url, readme and metadata replaced; id, type and seq kept. */
    g = sc_generation(f);
    a.name = "a2";
    a.url = "https://huggingface.co/o/a2";
    a.readme = "new readme";
    a.metadata = "{}";
    assert_int_equal(reg_store_update(f->store, &a), REG_OK);
    assert_true(sc_generation(f) != g);
    assert_int_equal(reg_store_get(f->store, &f->arena, "1", &got), REG_OK);
    assert_string_equal(got.name, "a2");
    assert_string_equal(got.url, "https://huggingface.co/o/a2");
    assert_string_equal(got.readme, "new readme");
    assert_string_equal(got.metadata, "{}");
    assert_int_equal(got.type, REG_TYPE_MODEL);
    assert_int_equal(got.seq, seq_a);
    assert_int_equal(sc_count(f), 3);
    /* The old url is free again; the new one is claimed. */
    {
        struct reg_artifact d = sc_make(f, "4", REG_TYPE_MODEL, "a", "https://huggingface.co/o/a");
        struct reg_artifact e = sc_make(f, "5", REG_TYPE_MODEL, "e", "https://huggingface.co/o/a2");
        assert_int_equal(reg_store_insert(f->store, &d, &taken), REG_OK);
        taken = true;
        assert_int_equal(reg_store_insert(f->store, &e, &taken), REG_ECONFLICT);
        assert_false(taken);
    }
    /* Updating to its own url is not a conflict. */
    assert_int_equal(reg_store_update(f->store, &a), REG_OK);

    /* Not found. */
    g = sc_generation(f);
    {
        struct reg_artifact ghost = sc_make(f, "999", REG_TYPE_MODEL, "g", "https://x/g");
        assert_int_equal(reg_store_update(f->store, &ghost), REG_ENOTFOUND);
        assert_non_null(strstr(reg_error_detail(), "999"));
        /* The url the refused update named is not claimed. */
        ghost = sc_make(f, "6", REG_TYPE_MODEL, "g", "https://x/g");
        assert_int_equal(reg_store_insert(f->store, &ghost, &taken), REG_OK);
        assert_int_equal(reg_store_remove(f->store, "6"), REG_OK);
        g = sc_generation(f);
    }
    /* The url of another artifact of the same type. */
    a.url = "https://huggingface.co/o/b";
    a.readme = "refused readme";
    assert_int_equal(reg_store_update(f->store, &a), REG_ECONFLICT);
    assert_true(sc_generation(f) == g);
    assert_int_equal(reg_store_get(f->store, &f->arena, "1", &got), REG_OK);
    assert_string_equal(got.url, "https://huggingface.co/o/a2");
    assert_string_equal(got.name, "a2");
    assert_string_equal(got.readme, "new readme");
    /* b still holds its url. */
    {
        struct reg_artifact h = sc_make(f, "7", REG_TYPE_MODEL, "h", "https://huggingface.co/o/b");
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
sc_case_update_clears_readme_and_metadata(struct contract *f)
{
    struct reg_artifact a = sc_make(f, "1", REG_TYPE_MODEL, "a", "https://huggingface.co/o/a");
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
sc_case_remove(struct contract *f)
{
    struct reg_artifact got;
    uint64_t g;

    sc_put(f, "1", REG_TYPE_MODEL, "a");
    sc_put(f, "2", REG_TYPE_MODEL, "b");
    g = sc_generation(f);
    assert_int_equal(reg_store_remove(f->store, "1"), REG_OK);
    assert_true(sc_generation(f) != g);
    assert_int_equal(sc_count(f), 1);
    assert_int_equal(reg_store_get(f->store, &f->arena, "1", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_get(f->store, &f->arena, "2", &got), REG_OK);
    g = sc_generation(f);
    assert_int_equal(reg_store_remove(f->store, "1"), REG_ENOTFOUND);
    assert_int_equal(reg_store_remove(f->store, "nope"), REG_ENOTFOUND);
    assert_non_null(strstr(reg_error_detail(), "nope"));
    assert_true(sc_generation(f) == g);
    assert_int_equal(sc_count(f), 1);
    /* The id and the url can be used again; the url by another id too. */
    sc_put(f, "1", REG_TYPE_MODEL, "a");
    assert_int_equal(sc_count(f), 2);
    assert_int_equal(reg_store_remove(f->store, "1"), REG_OK);
    {
        struct reg_artifact art = sc_make(f, "9", REG_TYPE_MODEL, "a", "https://example/1");
        bool taken = true;
        assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
        assert_false(taken);
    }
    assert_int_equal(sc_count(f), 2);
}

/* The names of a page, joined by ','. */
static const char *
sc_page_names(struct contract *f, const struct reg_store_page *p)
{
    const char *s = "";

    for (int i = 0; i < p->count; i++)
        s = reg_arena_sprintf(&f->arena, "%s%s%s", s, i ? "," : "", p->items[i].name);
    return s;
}

/* Every page of filters (limit 100) joined, or "status N: detail" when a page fails. */
static const char *
sc_list(struct contract *f, const struct reg_store_filter *filters, int n)
{
    const char *all = "";
    int64_t after = 0;

    for (int pages = 0; pages < 100; pages++) {
        struct reg_store_page page;
        enum reg_status st = reg_store_list(f->store, &f->arena, filters, n, after, 100, &page);
        const char *names;
        if (st != REG_OK)
            return reg_arena_sprintf(&f->arena, "status %d: %s", st, reg_error_detail());
        names = sc_page_names(f, &page);
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

struct sc_list_case {
    struct reg_store_filter filters[3];
    int n;
    const char *want;
};

static const struct sc_list_case sc_list_cases[] = {
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
sc_case_list_filters(struct contract *f)
{
    int bad = 0;

    sc_put(f, "1", REG_TYPE_MODEL, "bert");
    sc_put(f, "2", REG_TYPE_MODEL, "whisper");
    sc_put(f, "3", REG_TYPE_MODEL, "bert");
    sc_put(f, "4", REG_TYPE_DATASET, "squad");
    sc_put(f, "5", REG_TYPE_CODE, "whisper");
    sc_put(f, "6", REG_TYPE_CODE, "x/y \"q\" \xc3\xa9");
    for (int i = 0; i < NELEMS(sc_list_cases); i++) {
        const struct sc_list_case *c = &sc_list_cases[i];
        const char *got = sc_list(f, c->filters, c->n);
        CHECK(&bad, strcmp(got, c->want) == 0, "case %d: [%s], want [%s]", i, got, c->want);
    }
    assert_int_equal(bad, 0);
}

static void
sc_case_list_item_fields(struct contract *f)
{
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    struct reg_store_page page;
    int64_t s1 = sc_put(f, "a-1", REG_TYPE_DATASET, "one");
    int64_t s2 = sc_put(f, "a-2", REG_TYPE_CODE, "two");

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
sc_walk(struct contract *f, const struct reg_store_filter *filter, int limit, int *seen, int nseen,
        void (*between_pages)(struct contract *, int))
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
sc_insert_numbered(struct contract *f, int n)
{
    for (int i = 0; i < n; i++) {
        char id[16], name[16];
        snprintf(id, sizeof(id), "id-%d", i);
        snprintf(name, sizeof(name), "n-%03d", i);
        sc_put(f, id, i % 5 == 4 ? REG_TYPE_CODE : REG_TYPE_MODEL, name);
    }
}

static void
sc_case_list_pagination(struct contract *f)
{
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    struct reg_store_filter models = {NULL, M};
    struct reg_store_filter code = {NULL, C};
    struct reg_store_filter one = {"n-123", REG_TYPE_ALL};
    int seen[250];
    struct reg_store_page page;

    sc_insert_numbered(f, 250);
    /* 100 + 100 + 50, no duplicate and no gap. */
    memset(seen, 0, sizeof(seen));
    assert_int_equal(sc_walk(f, &all, 100, seen, 250, NULL), 250);
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
    assert_int_equal(sc_walk(f, &models, 100, seen, 250, NULL), 200);
    for (int i = 0; i < 250; i++)
        assert_int_equal(seen[i], i % 5 == 4 ? 0 : 1);
    /* Sparse matches with small pages: calls that run out of index pages answer short pages
     * with a cursor; the walk still sees each match once. */
    memset(seen, 0, sizeof(seen));
    assert_int_equal(sc_walk(f, &code, 3, seen, 250, NULL), 50);
    for (int i = 0; i < 250; i++)
        assert_int_equal(seen[i], i % 5 == 4 ? 1 : 0);
    memset(seen, 0, sizeof(seen));
    assert_int_equal(sc_walk(f, &one, 5, seen, 250, NULL), 1);
    assert_int_equal(seen[123], 1);

    /* Other page sizes, including ones that divide the total exactly. */
    for (int limit = 1; limit <= 260; limit += (limit < 10 ? 1 : 49)) {
        memset(seen, 0, sizeof(seen));
        assert_int_equal(sc_walk(f, &all, limit, seen, 250, NULL), 250);
        for (int i = 0; i < 250; i++)
            assert_int_equal(seen[i], 1);
    }
    memset(seen, 0, sizeof(seen));
    assert_int_equal(sc_walk(f, &all, 125, seen, 250, NULL), 250);
    memset(seen, 0, sizeof(seen));
    assert_int_equal(sc_walk(f, &all, 250, seen, 250, NULL), 250);
}

/* Between pages of a walk: deletes an artifact already listed and inserts a new one. */
static void
sc_churn(struct contract *f, int page)
{
    char id[16];

    snprintf(id, sizeof(id), "id-%d", page * 100);
    assert_int_equal(reg_store_remove(f->store, id), REG_OK);
    snprintf(id, sizeof(id), "new-%d", page);
    sc_put(f, id, REG_TYPE_MODEL, reg_arena_sprintf(&f->arena, "n-%03d", 250 + page));
}

static void
sc_case_list_pagination_under_writes(struct contract *f)
{
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    int seen[260];

    sc_insert_numbered(f, 250);
    memset(seen, 0, sizeof(seen));
    /* Deleting rows behind the cursor and appending rows ahead of it neither repeats nor
     * skips the rows that were there all along; appended rows show up at the end. */
    sc_walk(f, &all, 100, seen, 260, sc_churn);
    for (int i = 0; i < 250; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(seen[250] + seen[251], 2);
}

struct sc_scan_ctx {
    struct reg_arena *arena;
    const char *names;
    const char *readmes;
    int calls;
    int stop_after;
    int64_t last_seq;
};

static enum reg_status
sc_scan_fn(void *p, const struct reg_artifact *art)
{
    struct sc_scan_ctx *c = p;

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
sc_case_scan(struct contract *f)
{
    struct sc_scan_ctx ctx = {&f->arena, "", "", 0, 0, 0};
    struct reg_artifact art;
    bool taken;

    assert_int_equal(reg_store_scan(f->store, sc_scan_fn, &ctx), REG_OK);
    assert_int_equal(ctx.calls, 0);
    /* Ids whose order as strings is not the order of insertion. */
    sc_put(f, "9", REG_TYPE_MODEL, "a");
    art = sc_make(f, "10", REG_TYPE_DATASET, "b", "https://example/b");
    art.readme = "readme of b";
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
    sc_put(f, "1", REG_TYPE_CODE, "c");
    assert_int_equal(reg_store_remove(f->store, "9"), REG_OK);
    art = sc_make(f, "05", REG_TYPE_CODE, "d", "https://example/d");
    art.readme = "readme of d \xf0\x9f\x98\x80";
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
    sc_put(f, "zz", REG_TYPE_MODEL, "e");
    /* Audit entries, users and tokens are not artifacts. */
    {
        struct reg_audit_entry e;
        struct reg_user u = {"alice", false, REG_PERM_SEARCH, "x"};
        memset(&e, 0, sizeof(e));
        e.user = "alice";
        e.artifact = sc_make(f, "10", REG_TYPE_DATASET, "b", "");
        assert_int_equal(reg_store_audit_append(f->store, &e), REG_OK);
        assert_int_equal(reg_store_user_insert(f->store, &u), REG_OK);
        assert_int_equal(reg_store_token_insert(f->store, "t1", "alice"), REG_OK);
    }
    assert_int_equal(reg_store_scan(f->store, sc_scan_fn, &ctx), REG_OK);
    assert_int_equal(ctx.calls, 4);
    assert_string_equal(ctx.names, "b,c,d,e");
    /* READMEs are the search feed's (readmes), not the scan's. */
    assert_string_equal(ctx.readmes, "(null),(null),(null),(null)");
    /* A non-OK return stops the scan and is what scan returns; the store stays usable. */
    ctx = (struct sc_scan_ctx){&f->arena, "", "", 0, 2, 0};
    assert_int_equal(reg_store_scan(f->store, sc_scan_fn, &ctx), REG_ETOOLARGE);
    assert_int_equal(ctx.calls, 2);
    ctx = (struct sc_scan_ctx){&f->arena, "", "", 0, 0, 0};
    assert_int_equal(reg_store_scan(f->store, sc_scan_fn, &ctx), REG_OK);
    assert_int_equal(ctx.calls, 4);
    sc_put(f, "5", REG_TYPE_CODE, "f");
    assert_int_equal(sc_count(f), 5);
}

/* What the search feed gave: "id=text;" per README, sorted by id (the feed has no order). */
struct sc_feed_ctx {
    struct reg_arena *arena;
    const char *items[16];
    int n;
    int stop_after;
};

static enum reg_status
sc_feed_fn(void *p, const char *id, const char *text, size_t len)
{
    struct sc_feed_ctx *c = p;

    assert_true(c->n < 16);
    c->items[c->n++] = reg_arena_sprintf(c->arena, "%s=%.*s;", id, (int)len, text);
    if (c->stop_after && c->n == c->stop_after)
        return reg_errorf(REG_ETOOLARGE, "stop");
    return REG_OK;
}

static int
sc_strcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *
sc_feed(struct contract *f, size_t max_bytes)
{
    struct sc_feed_ctx ctx = {&f->arena, {0}, 0, 0};
    const char *all = "";

    assert_int_equal(reg_store_readmes(f->store, max_bytes, sc_feed_fn, &ctx), REG_OK);
    qsort(ctx.items, (size_t)ctx.n, sizeof(ctx.items[0]), sc_strcmp);
    for (int i = 0; i < ctx.n; i++)
        all = reg_arena_sprintf(&f->arena, "%s%s", all, ctx.items[i]);
    return all;
}

static void
sc_put_readme(struct contract *f, const char *id, const char *readme)
{
    struct reg_artifact art =
        sc_make(f, id, REG_TYPE_MODEL, id, reg_arena_sprintf(&f->arena, "https://example/%s", id));
    bool taken;

    art.readme = readme;
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
}

/* The search feed: each README once, its first max_bytes cut back to a whole character; none
 * for artifacts without one (or an empty one), for deleted ones, or the text an update
 * replaced; a non-OK return stops it. */
static void
sc_case_readmes(struct contract *f)
{
    struct sc_feed_ctx ctx = {&f->arena, {0}, 0, 2};
    struct reg_artifact art;
    char *big = reg_arena_alloc(&f->arena, 100 * 1024 + 1);
    const char *got;

    assert_string_equal(sc_feed(f, 16), "");
    sc_put_readme(f, "1", "short");
    sc_put_readme(f, "2", NULL);
    sc_put_readme(f, "3", "");
    /* "é" is bytes 15 and 16: a cut at 16 would split it. */
    sc_put_readme(f, "4", "0123456789abcde\xc3\xa9xyz");
    sc_put_readme(f, "5", "gone");
    sc_put_readme(f, "6", "old text");
    assert_int_equal(reg_store_remove(f->store, "5"), REG_OK);
    art = sc_make(f, "6", REG_TYPE_MODEL, "6", "https://example/6");
    art.readme = "new text";
    assert_int_equal(reg_store_update(f->store, &art), REG_OK);
    assert_string_equal(sc_feed(f, 16), "1=short;4=0123456789abcde;6=new text;");
    assert_string_equal(sc_feed(f, 17), "1=short;4=0123456789abcde\xc3\xa9;6=new text;");
    assert_string_equal(sc_feed(f, 3), "1=sho;4=012;6=new;");
    /* A README longer than the searchable prefix (and than a DynamoDB item's share of it). */
    for (int i = 0; i < 100 * 1024; i++)
        big[i] = (char)('a' + i % 26);
    big[100 * 1024] = '\0';
    sc_put_readme(f, "7", big);
    got = sc_feed(f, REG_SEARCH_README_MAX);
    assert_int_equal(strlen(got), strlen("1=short;4=0123456789abcde\xc3\xa9xyz;6=new text;7=;") +
                                      REG_SEARCH_README_MAX);
    assert_non_null(
        strstr(got, reg_arena_sprintf(&f->arena, "7=%.*s;", REG_SEARCH_README_MAX, big)));
    assert_string_equal(sc_readme_of(f, "7"), big); /* stored whole */
    assert_int_equal(reg_store_readmes(f->store, 16, sc_feed_fn, &ctx), REG_ETOOLARGE);
    assert_int_equal(ctx.n, 2);
}

static void
sc_case_generation(struct contract *f)
{
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    struct reg_store_page page;
    struct reg_artifact art;
    uint64_t g0 = sc_generation(f), g1, g2, g3, g4, g5;
    int64_t n;

    /* Reads leave it alone. */
    assert_true(sc_generation(f) == g0);
    sc_put(f, "1", REG_TYPE_MODEL, "a");
    g1 = sc_generation(f);
    assert_true(g1 != g0);
    assert_int_equal(reg_store_get(f->store, &f->arena, "1", &art), REG_OK);
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, 0, 10, &page), REG_OK);
    assert_int_equal(reg_store_count(f->store, &n), REG_OK);
    {
        struct sc_scan_ctx ctx = {&f->arena, "", "", 0, 0, 0};
        assert_int_equal(reg_store_scan(f->store, sc_scan_fn, &ctx), REG_OK);
    }
    assert_true(sc_generation(f) == g1);
    /* Every write changes it, to a value it never had. */
    art.readme = "changed";
    assert_int_equal(reg_store_update(f->store, &art), REG_OK);
    g2 = sc_generation(f);
    assert_true(g2 != g1 && g2 != g0);
    sc_put(f, "2", REG_TYPE_MODEL, "b");
    g3 = sc_generation(f);
    assert_true(g3 != g2 && g3 != g1 && g3 != g0);
    assert_int_equal(reg_store_remove(f->store, "1"), REG_OK);
    g4 = sc_generation(f);
    assert_true(g4 != g3 && g4 != g2 && g4 != g1 && g4 != g0);
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    g5 = sc_generation(f);
    assert_true(g5 != g4 && g5 != g3 && g5 != g2 && g5 != g1 && g5 != g0);
}

static void
sc_case_count(struct contract *f)
{
    struct reg_artifact art = sc_make(f, "1", REG_TYPE_MODEL, "a", "https://example/1");

    assert_int_equal(sc_count(f), 0);
    sc_put(f, "1", REG_TYPE_MODEL, "a");
    sc_put(f, "2", REG_TYPE_MODEL, "b");
    sc_put(f, "3", REG_TYPE_DATASET, "c");
    assert_int_equal(sc_count(f), 3);
    /* Updates and refused writes leave it alone. */
    art.readme = "x";
    assert_int_equal(reg_store_update(f->store, &art), REG_OK);
    assert_int_equal(sc_count(f), 3);
    assert_int_equal(reg_store_remove(f->store, "nope"), REG_ENOTFOUND);
    assert_int_equal(sc_count(f), 3);
    assert_int_equal(reg_store_remove(f->store, "2"), REG_OK);
    assert_int_equal(reg_store_remove(f->store, "3"), REG_OK);
    assert_int_equal(sc_count(f), 1);
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    assert_int_equal(sc_count(f), 0);
}

static void
sc_case_reset(struct contract *f)
{
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    struct reg_store_page page;
    struct reg_artifact art;
    struct sc_scan_ctx ctx = {&f->arena, "", "", 0, 0, 0};
    int64_t last = 0;

    sc_insert_numbered(f, 30);
    art = sc_make(f, "last", REG_TYPE_MODEL, "last", "https://example/last");
    art.readme = "a readme in a chunk";
    {
        bool taken;
        assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
        last = art.seq;
    }
    assert_int_equal(sc_count(f), 31);
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    assert_int_equal(sc_count(f), 0);
    assert_int_equal(reg_store_get(f->store, &f->arena, "last", &art), REG_ENOTFOUND);
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, 0, 100, &page), REG_OK);
    assert_int_equal(page.count, 0);
    assert_int_equal(reg_store_scan(f->store, sc_scan_fn, &ctx), REG_OK);
    assert_int_equal(ctx.calls, 0);
    /* Reset of an empty store is fine; ids and urls are free again; seq never goes back, so a
     * cursor from before the reset cannot skip new rows' order. */
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    assert_true(sc_put(f, "last", REG_TYPE_MODEL, "last") > last);
    assert_int_equal(sc_count(f), 1);
    /* The new artifact has no README: no chunk of the old one came back. */
    assert_string_equal(sc_readme_of(f, "last"), "(null)");
}

/* -------------------------------------------------------------------------------- users */

static int
sc_user_count(struct contract *f)
{
    struct reg_user *all;
    int n = -1;

    assert_int_equal(reg_store_user_list(f->store, &f->arena, &all, &n), REG_OK);
    return n;
}

static void
sc_case_user_insert_get(struct contract *f)
{
    struct reg_user u = sc_user("alice", false, REG_PERM_SEARCH | REG_PERM_DOWNLOAD,
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
    u = sc_user("x'); DROP TABLE users; --\" `\xc3\xa9` :pk #n", true, REG_PERM_ALL, "rec'\"`");
    assert_int_equal(reg_store_user_insert(f->store, &u), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, u.name, &got), REG_OK);
    assert_string_equal(got.name, u.name);
    assert_true(got.is_admin);
    assert_int_equal(got.perms, REG_PERM_ALL);
    assert_string_equal(got.password, "rec'\"`");
    assert_int_equal(sc_user_count(f), 2);

    /* A taken name: REG_ECONFLICT, the first record kept. */
    u = sc_user("alice", true, REG_PERM_ALL, "other");
    assert_int_equal(reg_store_user_insert(f->store, &u), REG_ECONFLICT);
    assert_non_null(strstr(reg_error_detail(), "alice"));
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alice", &got), REG_OK);
    assert_false(got.is_admin);
    assert_string_equal(got.password, "pbkdf2-sha256$1000$00$11");
    /* The refused admin did not count as one: the other is still the last admin. */
    u = sc_user("x'); DROP TABLE users; --\" `\xc3\xa9` :pk #n", false, REG_PERM_SEARCH, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ECONFLICT);
    assert_int_equal(sc_user_count(f), 2);
}

/* Unknown names, including near misses and the empty name (PUT /authenticate passes whatever
 * name the body holds): REG_ENOTFOUND. */
static void
sc_case_user_unknown_names(struct contract *f)
{
    static const char *const names[] = {"Alice", "alic", "alice ", "", "' OR '1'='1", "USERS"};
    struct reg_user got;
    int bad = 0;

    sc_add_user(f, "alice", REG_PERM_SEARCH);
    for (int i = 0; i < NELEMS(names); i++) {
        enum reg_status st = reg_store_user_get(f->store, &f->arena, names[i], &got);
        CHECK(&bad, st == REG_ENOTFOUND, "user_get('%s'): status %d (%s), want REG_ENOTFOUND",
              names[i], st, reg_error_detail());
        st = reg_store_user_remove(f->store, names[i]);
        CHECK(&bad, st == REG_ENOTFOUND, "user_remove('%s'): status %d (%s), want REG_ENOTFOUND",
              names[i], st, reg_error_detail());
    }
    assert_int_equal(bad, 0);
    assert_int_equal(sc_user_count(f), 1);
}

static void
sc_case_user_list(struct contract *f)
{
    struct reg_user *all;
    int n = -1;
    bool seen[40] = {false};

    assert_int_equal(reg_store_user_list(f->store, &f->arena, &all, &n), REG_OK);
    assert_int_equal(n, 0);
    /* More rows than the first allocation (16). */
    for (int i = 0; i < 40; i++)
        sc_add_user(f, reg_arena_sprintf(&f->arena, "u%02d", i),
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
sc_case_user_list_by_creation(struct contract *f)
{
    struct reg_user *all;
    int n = -1;
    const struct timespec pause = {1, 100 * 1000 * 1000};

    sc_add_user(f, "zed", REG_PERM_SEARCH);
    nanosleep(&pause, NULL);
    sc_add_user(f, "mia", REG_PERM_SEARCH);
    nanosleep(&pause, NULL);
    sc_add_user(f, "abe", REG_PERM_ALL);
    assert_int_equal(reg_store_user_list(f->store, &f->arena, &all, &n), REG_OK);
    assert_int_equal(n, 3);
    assert_string_equal(all[0].name, "zed");
    assert_string_equal(all[1].name, "mia");
    assert_string_equal(all[2].name, "abe");
}

static void
sc_case_user_update(struct contract *f)
{
    struct reg_user u, got;

    sc_add_user(f, "bob", REG_PERM_SEARCH);
    u = sc_user("bob", true, REG_PERM_ALL, "ignored by update");
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "bob", &got), REG_OK);
    assert_true(got.is_admin);
    assert_int_equal(got.perms, REG_PERM_ALL);
    /* The password stays. */
    assert_string_equal(got.password, "pbkdf2-sha256$1$x$y");
    /* With another admin, bob can lose admin. */
    sc_add_user(f, "root", REG_PERM_ALL);
    u = sc_user("bob", false, 0, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "bob", &got), REG_OK);
    assert_false(got.is_admin);
    assert_int_equal(got.perms, 0);
    assert_string_equal(got.password, "pbkdf2-sha256$1$x$y");
    /* A non-admin's permissions change freely. */
    u = sc_user("bob", false, REG_PERM_UPLOAD | REG_PERM_DOWNLOAD, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "bob", &got), REG_OK);
    assert_int_equal(got.perms, REG_PERM_UPLOAD | REG_PERM_DOWNLOAD);
    /* Unknown user: REG_ENOTFOUND, whatever the update would do. */
    u = sc_user("nobody", true, REG_PERM_ALL, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ENOTFOUND);
    u = sc_user("nobody", false, 0, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ENOTFOUND);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "nobody", &got), REG_ENOTFOUND);
    assert_int_equal(sc_user_count(f), 2);
    /* The refused promotion of nobody did not count an admin: root is the last one. */
    u = sc_user("root", false, 0, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ECONFLICT);
}

/* user_remove of name must answer want; a wrong answer is reported (with the detail) and
 * counted in *bad, and the test goes on: a refused removal leaves the user in place either way. */
static void
sc_expect_remove(struct contract *f, int *bad, const char *name, enum reg_status want)
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
sc_case_last_admin(struct contract *f)
{
    struct reg_user u, got;
    int bad = 0;

    sc_add_user(f, "root", REG_PERM_ALL);
    sc_add_user(f, "user", REG_PERM_SEARCH);
    sc_expect_remove(f, &bad, "root", REG_ECONFLICT);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "root", &got), REG_OK);
    u = sc_user("root", false, REG_PERM_SEARCH, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ECONFLICT);
    assert_non_null(strstr(reg_error_detail(), "root"));
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "root", &got), REG_OK);
    assert_true(got.is_admin);
    assert_int_equal(got.perms, REG_PERM_ALL);
    /* Staying admin is an update like any other. */
    u = sc_user("root", true, REG_PERM_ADMIN | REG_PERM_SEARCH, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    u = sc_user("root", true, REG_PERM_ALL, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    /* Non-admins come and go; unknown names are not found, not conflicts. */
    sc_expect_remove(f, &bad, "user", REG_OK);
    sc_expect_remove(f, &bad, "nobody", REG_ENOTFOUND);
    /* With a second admin, either one may go, but not both. */
    sc_add_user(f, "root2", REG_PERM_ALL);
    sc_expect_remove(f, &bad, "root", REG_OK);
    sc_expect_remove(f, &bad, "root2", REG_ECONFLICT);
    u = sc_user("root2", false, 0, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ECONFLICT);
    sc_add_user(f, "root3", REG_PERM_ALL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    sc_expect_remove(f, &bad, "root3", REG_ECONFLICT);
    assert_int_equal(sc_admin_count(f), 1);
    /* Promotion counts: root2 is an admin again, so root3 may go. */
    u = sc_user("root2", true, REG_PERM_ALL, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    sc_expect_remove(f, &bad, "root3", REG_OK);
    sc_expect_remove(f, &bad, "root2", REG_ECONFLICT);
    assert_int_equal(sc_admin_count(f), 1);
    /* A store without any admin (users written without one) lets non-admins go. */
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    sc_add_user(f, "plain", REG_PERM_SEARCH);
    sc_expect_remove(f, &bad, "plain", REG_OK);
    /* After a reset the admin count starts again from the admins created since. */
    sc_add_user(f, "boss", REG_PERM_ALL);
    sc_expect_remove(f, &bad, "boss", REG_ECONFLICT);
    assert_int_equal(sc_admin_count(f), 1);
    assert_int_equal(bad, 0);
}

static void
sc_case_user_remove_cascades(struct contract *f)
{
    struct reg_user got;
    int64_t uses;

    sc_add_user(f, "alice", REG_PERM_SEARCH);
    sc_add_user(f, "bob", REG_PERM_SEARCH);
    sc_add_token(f, "alice-1", "alice");
    sc_add_token(f, "alice-2", "alice");
    sc_add_token(f, "bob-1", "bob");
    assert_int_equal(sc_use(f, "alice", "alice-1", 10, &uses), REG_OK);
    assert_int_equal(sc_use(f, "alice", "alice-2", 10, &uses), REG_OK);

    assert_int_equal(reg_store_user_remove(f->store, "alice"), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alice", &got), REG_ENOTFOUND);
    /* Her tokens are gone with her: revoked. Bob's are not. */
    assert_int_equal(sc_use(f, "alice", "alice-1", 10, &uses), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "revoked"));
    assert_int_equal(sc_use(f, "alice", "alice-2", 10, &uses), REG_EAUTH);
    assert_int_equal(sc_use(f, "bob", "bob-1", 10, &uses), REG_OK);
    assert_true(uses == 1);
    /* A new alice does not get the old tokens back. */
    sc_add_user(f, "alice", REG_PERM_SEARCH);
    assert_int_equal(sc_use(f, "alice", "alice-1", 10, &uses), REG_EAUTH);
    /* Removing twice, or someone unknown. */
    assert_int_equal(reg_store_user_remove(f->store, "bob"), REG_OK);
    assert_int_equal(reg_store_user_remove(f->store, "bob"), REG_ENOTFOUND);
    assert_int_equal(reg_store_user_remove(f->store, "nobody"), REG_ENOTFOUND);
    assert_int_equal(sc_use(f, "bob", "bob-1", 10, &uses), REG_EAUTH);
    assert_int_equal(sc_user_count(f), 1);
    /* More tokens than one batch of deletes (25). */
    for (int i = 0; i < 60; i++)
        sc_add_token(f, reg_arena_sprintf(&f->arena, "a-%d", i), "alice");
    assert_int_equal(reg_store_user_remove(f->store, "alice"), REG_OK);
    for (int i = 0; i < 60; i += 7)
        assert_int_equal(sc_use(f, "alice", reg_arena_sprintf(&f->arena, "a-%d", i), 10, &uses),
                         REG_EAUTH);
}

/* ------------------------------------------------------------------------------- tokens */

static void
sc_case_token_use_counts(struct contract *f)
{
    int64_t uses = -1;
    int bad = 0;

    sc_add_user(f, "alice", REG_PERM_SEARCH);
    sc_add_token(f, "t1", "alice");
    sc_add_token(f, "t2", "alice");
    /* Exact counting: 1, 2, ..., 5, then the limit. */
    for (int64_t i = 1; i <= 5; i++) {
        enum reg_status st = sc_use(f, "alice", "t1", 5, &uses);
        CHECK(&bad, st == REG_OK && uses == i, "use %lld: status %d, uses %lld", (long long)i, st,
              (long long)uses);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(sc_use(f, "alice", "t1", 5, &uses), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "limit"));
    assert_int_equal(sc_use(f, "alice", "t1", 5, &uses), REG_EAUTH);
    /* The refused uses were not counted: a higher limit continues from 5. */
    assert_int_equal(sc_use(f, "alice", "t1", 7, &uses), REG_OK);
    assert_true(uses == 6);
    assert_int_equal(sc_use(f, "alice", "t1", 7, &uses), REG_OK);
    assert_true(uses == 7);
    assert_int_equal(sc_use(f, "alice", "t1", 7, &uses), REG_EAUTH);
    /* Another token of the same user counts on its own. */
    assert_int_equal(sc_use(f, "alice", "t2", 5, &uses), REG_OK);
    assert_true(uses == 1);
    /* A limit of 0 (or less) allows nothing. */
    sc_add_token(f, "t3", "alice");
    assert_int_equal(sc_use(f, "alice", "t3", 0, &uses), REG_EAUTH);
    assert_int_equal(sc_use(f, "alice", "t3", -1, &uses), REG_EAUTH);
    assert_int_equal(sc_use(f, "alice", "t3", 1, &uses), REG_OK);
    assert_true(uses == 1);
    assert_int_equal(sc_use(f, "alice", "t3", 1, &uses), REG_EAUTH);
    /* A large limit. */
    sc_add_token(f, "t4", "alice");
    for (int i = 0; i < 200; i++)
        assert_int_equal(sc_use(f, "alice", "t4", 1000000000, &uses), REG_OK);
    assert_true(uses == 200);
}

static void
sc_case_token_unknown(struct contract *f)
{
    static const char *const ids[] = {"nope", "T1", "t1 ", "' OR '1'='1", ""};
    int64_t uses;
    int bad = 0;

    sc_add_user(f, "alice", REG_PERM_SEARCH);
    sc_add_token(f, "t1", "alice");
    for (int i = 0; i < NELEMS(ids); i++) {
        enum reg_status st = sc_use(f, "alice", ids[i], 100, &uses);
        CHECK(&bad, st == REG_EAUTH && strstr(reg_error_detail(), "revoked"),
              "token_use('%s'): status %d (%s), want REG_EAUTH, revoked", ids[i], st,
              reg_error_detail());
    }
    assert_int_equal(bad, 0);
    /* (Whether the right id under another user is unknown is backend-specific: SQLite keys a
     * token by its id alone, DynamoDB by user and id; see test_store_dynamodb.c.) None of that
     * touched t1. */
    assert_int_equal(sc_use(f, "alice", "t1", 100, &uses), REG_OK);
    assert_true(uses == 1);
}

/* token_check answers what token_use would, and spends nothing. */
static void
sc_case_token_check(struct contract *f)
{
    int64_t uses = -1;

    sc_add_user(f, "alice", REG_PERM_SEARCH);
    sc_add_token(f, "t1", "alice");
    for (int i = 0; i < 5; i++)
        assert_int_equal(reg_store_token_check(f->store, "alice", "t1", 2), REG_OK);
    assert_int_equal(sc_use(f, "alice", "t1", 2, &uses), REG_OK);
    assert_true(uses == 1);
    assert_int_equal(reg_store_token_check(f->store, "alice", "t1", 2), REG_OK);
    assert_int_equal(sc_use(f, "alice", "t1", 2, &uses), REG_OK);
    assert_true(uses == 2);
    /* Used up: refused with token_use's detail; a higher limit accepts it again. */
    assert_int_equal(reg_store_token_check(f->store, "alice", "t1", 2), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "limit"));
    assert_int_equal(reg_store_token_check(f->store, "alice", "t1", 3), REG_OK);
    assert_int_equal(reg_store_token_check(f->store, "alice", "t1", 0), REG_EAUTH);
    /* Unknown tokens are revoked ones. */
    assert_int_equal(reg_store_token_check(f->store, "alice", "nope", 100), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "revoked"));
    assert_int_equal(reg_store_token_check(f->store, "", "", 100), REG_EAUTH);
    /* Checks spent nothing: the third use is the third. */
    assert_int_equal(sc_use(f, "alice", "t1", 3, &uses), REG_OK);
    assert_true(uses == 3);
}

/* token_take grants a block, or the rest when fewer remain, and never passes the limit. */
static void
sc_case_token_take_blocks(struct contract *f)
{
    int64_t granted = -1, uses = -1;

    sc_add_user(f, "alice", REG_PERM_SEARCH);
    sc_add_token(f, "t1", "alice");
    assert_int_equal(reg_store_token_take(f->store, "alice", "t1", 10, 4, &granted, &uses), REG_OK);
    assert_true(granted == 4 && uses == 4);
    assert_int_equal(sc_use(f, "alice", "t1", 10, &uses), REG_OK);
    assert_true(uses == 5);
    /* 5 remain: a block of 8 gets those 5. */
    assert_int_equal(reg_store_token_take(f->store, "alice", "t1", 10, 8, &granted, &uses), REG_OK);
    assert_true(granted == 5 && uses == 10);
    assert_int_equal(reg_store_token_take(f->store, "alice", "t1", 10, 8, &granted, &uses),
                     REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "limit"));
    assert_true(granted == 0);
    assert_int_equal(reg_store_token_take(f->store, "alice", "nope", 10, 2, &granted, &uses),
                     REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "revoked"));
    assert_int_equal(reg_store_token_take(f->store, "alice", "t1", 20, 0, &granted, &uses),
                     REG_EINVAL);
}

/* token_give_back lowers the count by what was not spent, never below zero, and a token that
 * is gone takes nothing back without an error. */
static void
sc_case_token_give_back(struct contract *f)
{
    int64_t granted = -1, uses = -1;

    sc_add_user(f, "alice", REG_PERM_SEARCH);
    sc_add_token(f, "t1", "alice");
    assert_int_equal(reg_store_token_take(f->store, "alice", "t1", 10, 10, &granted, &uses),
                     REG_OK);
    assert_int_equal(sc_use(f, "alice", "t1", 10, &uses), REG_EAUTH);
    assert_int_equal(reg_store_token_give_back(f->store, "alice", "t1", 3), REG_OK);
    assert_int_equal(reg_store_token_check(f->store, "alice", "t1", 10), REG_OK);
    assert_int_equal(sc_use(f, "alice", "t1", 10, &uses), REG_OK);
    assert_true(uses == 8);
    assert_int_equal(reg_store_token_give_back(f->store, "alice", "nope", 3), REG_OK);
    assert_int_equal(reg_store_token_give_back(f->store, "alice", "t1", 100), REG_OK);
    assert_int_equal(sc_use(f, "alice", "t1", 10, &uses), REG_OK);
    assert_true(uses == 1);
}

/* What test_store_auth.c requires of token_insert: a token must belong to an existing user
 * (else a login racing the user's removal leaves a token that a re-created user of that name
 * inherits), and ids are unique (a duplicate must not reset the count). */
static void
sc_case_token_insert_integrity(struct contract *f)
{
    int64_t uses;
    enum reg_status st;
    int bad = 0;

    sc_add_user(f, "alice", REG_PERM_SEARCH);
    sc_add_token(f, "t1", "alice");
    assert_int_equal(sc_use(f, "alice", "t1", 100, &uses), REG_OK);
    st = reg_store_token_insert(f->store, "t9", "nobody");
    CHECK(&bad, st == REG_ECONFLICT, "token_insert for an unknown user: status %d, want %d", st,
          REG_ECONFLICT);
    st = sc_use(f, "nobody", "t9", 100, &uses);
    CHECK(&bad, st == REG_EAUTH, "token_use of a token of an unknown user: status %d, want %d", st,
          REG_EAUTH);
    st = reg_store_token_insert(f->store, "t1", "alice");
    CHECK(&bad, st == REG_ECONFLICT, "token_insert of an existing id: status %d, want %d", st,
          REG_ECONFLICT);
    /* The refused duplicate left the count alone. */
    assert_int_equal(sc_use(f, "alice", "t1", 100, &uses), REG_OK);
    CHECK(&bad, uses == 2, "uses after a duplicate token_insert: %lld, want 2", (long long)uses);
    assert_int_equal(bad, 0);
}

/* -------------------------------------------------------------------------------- audit */

static void
sc_case_audit_append_list(struct contract *f)
{
    struct reg_audit_entry *e;
    int n = -1;
    const struct timespec ms = {0, 3 * 1000 * 1000};

    sc_put_artifact(f, "111", REG_TYPE_MODEL, "bert");
    sc_put_artifact(f, "222", REG_TYPE_DATASET, "squad");
    e = sc_audit_all(f, "111", &n);
    assert_int_equal(n, 0);

    /* Dates deliberately out of order: the list is in append order, not by date. (A few ms
     * apart here; test_audit_many appends back to back.) */
    sc_append(f, "111", REG_TYPE_MODEL, "bert", "alice", false, REG_AUDIT_CREATE, 2000);
    nanosleep(&ms, NULL);
    sc_append(f, "222", REG_TYPE_DATASET, "squad", "bob", true, REG_AUDIT_CREATE, 1500);
    nanosleep(&ms, NULL);
    sc_append(f, "111", REG_TYPE_MODEL, "bert", "bob", true, REG_AUDIT_DOWNLOAD, 1000);
    nanosleep(&ms, NULL);
    sc_append(f, "111", REG_TYPE_MODEL, "bert v2", "x'\"` \xc3\xa9", false, REG_AUDIT_UPDATE, 3000);
    nanosleep(&ms, NULL);
    sc_append(f, "111", REG_TYPE_MODEL, "bert v2", "alice", false, REG_AUDIT_RATE, 3000);
    nanosleep(&ms, NULL);
    sc_append(f, "111", REG_TYPE_MODEL, "bert v2", "alice", false, REG_AUDIT_AUDIT, 3001);

    e = sc_audit_all(f, "111", &n);
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

    e = sc_audit_all(f, "222", &n);
    assert_int_equal(n, 1);
    assert_string_equal(e[0].artifact.name, "squad");
    assert_int_equal(e[0].artifact.type, REG_TYPE_DATASET);
    /* Other ids: nothing, not even by prefix. */
    assert_int_equal(sc_audit_count(f, "11"), 0);
    assert_int_equal(sc_audit_count(f, "1111"), 0);
    assert_int_equal(sc_audit_count(f, ""), 0);
    assert_int_equal(sc_audit_count(f, "' OR '1'='1"), 0);
    /* The entries are not part of the artifact. */
    assert_string_equal(sc_readme_of(f, "111"), "(null)");
}

/* Entries appended back to back (several per millisecond) are listed in append order. */
static void
sc_case_audit_many(struct contract *f)
{
    struct reg_audit_entry *e;
    int n = -1, bad = 0;

    sc_put_artifact(f, "7", REG_TYPE_CODE, "c");
    /* More than the first allocation (16). */
    for (int i = 0; i < 100; i++)
        sc_append(f, "7", REG_TYPE_CODE, "c", reg_arena_sprintf(&f->arena, "user-%d", i), i % 2,
                  (enum reg_audit_action)(i % 5), 1000 - i);
    /* Pages of 7: more than one page, the last one short. */
    e = sc_audit_pages(f, "7", 7, &n);
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
sc_case_audit_goes_with_artifact(struct contract *f)
{
    struct reg_artifact art;

    sc_put_artifact(f, "1", REG_TYPE_MODEL, "a");
    sc_put_artifact(f, "2", REG_TYPE_MODEL, "b");
    for (int i = 0; i < 3; i++) {
        sc_append(f, "1", REG_TYPE_MODEL, "a", "alice", false, REG_AUDIT_DOWNLOAD, 1000 + i);
        sc_append(f, "2", REG_TYPE_MODEL, "b", "alice", false, REG_AUDIT_DOWNLOAD, 1000 + i);
    }
    /* More entries than one batch of deletes (25). */
    for (int i = 0; i < 40; i++)
        sc_append(f, "1", REG_TYPE_MODEL, "a", "bob", false, REG_AUDIT_DOWNLOAD, 2000 + i);
    /* Entries of an id that never was an artifact are kept as they are. */
    sc_append(f, "ghost", REG_TYPE_MODEL, "g", "alice", false, REG_AUDIT_CREATE, 1);
    /* An update keeps them. */
    art = sc_artifact("1", REG_TYPE_MODEL, "a2");
    art.url = "https://example/1";
    assert_int_equal(reg_store_update(f->store, &art), REG_OK);
    assert_int_equal(sc_audit_count(f, "1"), 43);
    /* Deleting the artifact deletes its entries, only its own. */
    assert_int_equal(reg_store_remove(f->store, "1"), REG_OK);
    assert_int_equal(sc_audit_count(f, "1"), 0);
    assert_int_equal(sc_audit_count(f, "2"), 3);
    assert_int_equal(sc_audit_count(f, "ghost"), 1);
    /* A new artifact under the old id starts with an empty trail. */
    sc_put_artifact(f, "1", REG_TYPE_MODEL, "a");
    assert_int_equal(sc_audit_count(f, "1"), 0);
    /* A failed removal (unknown id) deletes nothing. */
    assert_int_equal(reg_store_remove(f->store, "ghost"), REG_ENOTFOUND);
    assert_int_equal(sc_audit_count(f, "ghost"), 1);
}

/* Pages follow their cursor: each entry once, in order; a full last page names no next one;
 * a cursor past the end gives an empty page. */
static void
sc_case_audit_pages(struct contract *f)
{
    struct reg_audit_page page;
    struct reg_audit_entry *e;
    int n = -1;

    sc_put_artifact(f, "8", REG_TYPE_MODEL, "m");
    for (int i = 0; i < 10; i++)
        sc_append(f, "8", REG_TYPE_MODEL, "m", reg_arena_sprintf(&f->arena, "u%d", i), false,
                  REG_AUDIT_DOWNLOAD, 100 + i);
    sc_append(f, "9", REG_TYPE_MODEL, "other", "x", false, REG_AUDIT_DOWNLOAD, 1);
    for (int size = 1; size <= 11; size++) {
        e = sc_audit_pages(f, "8", size, &n);
        assert_int_equal(n, 10);
        for (int i = 0; i < 10; i++)
            assert_string_equal(e[i].user, reg_arena_sprintf(&f->arena, "u%d", i));
    }
    assert_int_equal(reg_store_audit_list(f->store, &f->arena, "8", 0, 10, &page), REG_OK);
    assert_int_equal(page.count, 10);
    assert_true(page.next_after == 0);
    assert_int_equal(reg_store_audit_list(f->store, &f->arena, "8", 0, 4, &page), REG_OK);
    assert_int_equal(reg_store_audit_list(f->store, &f->arena, "8", INT64_MAX - 1, 4, &page),
                     REG_OK);
    assert_int_equal(page.count, 0);
    assert_true(page.next_after == 0);
}

/* Appends once per window: per user, action and artifact, and only outside the window of the
 * user's latest entry of that action. */
static void
sc_case_audit_append_once(struct contract *f)
{
    struct reg_audit_entry e, *all;
    bool appended;
    int n = -1;

    sc_put_artifact(f, "5", REG_TYPE_MODEL, "m");
    memset(&e, 0, sizeof(e));
    e.user = "alice";
    e.artifact = sc_artifact("5", REG_TYPE_MODEL, "m");
    e.action = REG_AUDIT_AUDIT;
#define ONCE(user_, action_, id_, date_, want)                                                     \
    do {                                                                                           \
        e.user = (user_);                                                                          \
        e.action = (action_);                                                                      \
        snprintf(e.artifact.id, sizeof(e.artifact.id), "%s", (id_));                               \
        e.date = (date_);                                                                          \
        assert_int_equal(reg_store_audit_append_once(f->store, &e, 60, &appended), REG_OK);        \
        if (appended != (want))                                                                    \
            fail_msg("append_once(%s, %d, %s, %d): appended %d", (user_), (int)(action_), (id_),   \
                     (int)(date_), appended);                                                      \
    } while (0)
    ONCE("alice", REG_AUDIT_AUDIT, "5", 1000, true);
    ONCE("alice", REG_AUDIT_AUDIT, "5", 1000, false);
    ONCE("alice", REG_AUDIT_AUDIT, "5", 1059, false); /* within 60 s of 1000 */
    ONCE("bob", REG_AUDIT_AUDIT, "5", 1059, true);    /* another reader */
    ONCE("alice", REG_AUDIT_RATE, "5", 1059, true);   /* another action */
    ONCE("alice", REG_AUDIT_AUDIT, "6", 1059, true);  /* another artifact */
    ONCE("alice", REG_AUDIT_AUDIT, "5", 1060, true);  /* the window has passed */
    ONCE("alice", REG_AUDIT_AUDIT, "5", 1100, false);
#undef ONCE
    all = sc_audit_all(f, "5", &n);
    assert_int_equal(n, 4);
    assert_string_equal(all[0].user, "alice");
    assert_true(all[0].date == 1000);
    assert_string_equal(all[1].user, "bob");
    assert_int_equal(all[2].action, REG_AUDIT_RATE);
    assert_true(all[3].date == 1060);
    assert_int_equal(sc_audit_count(f, "6"), 1);
}

/* ------------------------------------------------------------------------------- secret */

static void
sc_case_secret(struct contract *f)
{
    unsigned char a[32], b[32], out[32];

    sc_fill(a, 1);
    sc_fill(b, 100);
    /* The first candidate is stored and returned. */
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(f->store, a, out), REG_OK);
    assert_memory_equal(out, a, 32);
    /* Later candidates are ignored. */
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(f->store, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    assert_int_equal(reg_store_secret(f->store, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
}

/* Any byte value, NULs included, survives. */
static void
sc_case_secret_any_bytes(struct contract *f)
{
    unsigned char zeros[32] = {0}, ff[32], out[32];

    memset(ff, 0xff, sizeof(ff));
    memset(out, 0x77, sizeof(out));
    assert_int_equal(reg_store_secret(f->store, zeros, out), REG_OK);
    assert_memory_equal(out, zeros, 32);
    assert_int_equal(reg_store_secret(f->store, ff, out), REG_OK);
    assert_memory_equal(out, zeros, 32);
}

static void
sc_case_reset_keeps_secret(struct contract *f)
{
    unsigned char a[32], b[32], out[32];
    struct reg_user got;
    int64_t uses;

    sc_fill(a, 7);
    sc_fill(b, 77);
    assert_int_equal(reg_store_secret(f->store, a, out), REG_OK);
    sc_add_user(f, "alice", REG_PERM_ALL);
    sc_add_token(f, "t1", "alice");
    sc_put_artifact(f, "1", REG_TYPE_MODEL, "a");
    sc_append(f, "1", REG_TYPE_MODEL, "a", "alice", true, REG_AUDIT_CREATE, 1);
    sc_append(f, "ghost", REG_TYPE_MODEL, "g", "alice", true, REG_AUDIT_CREATE, 1);

    assert_int_equal(reg_store_reset(f->store), REG_OK);
    assert_int_equal(sc_user_count(f), 0);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alice", &got), REG_ENOTFOUND);
    assert_int_equal(sc_use(f, "alice", "t1", 100, &uses), REG_EAUTH);
    assert_int_equal(sc_audit_count(f, "1"), 0);
    assert_int_equal(sc_audit_count(f, "ghost"), 0);
    assert_int_equal(sc_count(f), 0);
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(f->store, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    /* Names, ids and urls are free again. */
    sc_add_user(f, "alice", REG_PERM_ALL);
    sc_add_token(f, "t1", "alice");
    assert_int_equal(sc_use(f, "alice", "t1", 100, &uses), REG_OK);
    assert_true(uses == 1);
    sc_put_artifact(f, "1", REG_TYPE_MODEL, "a");
}

/* ------------------------------------------------------------------- sensitive models */

static void
sc_case_sensitive_mark_and_program(struct contract *f)
{
    struct reg_sensitive got;

    sc_put_artifact(f, "700", REG_TYPE_MODEL, "secret-model");
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "700", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_sensitive_remove(f->store, "700"), REG_ENOTFOUND);

    /* Marked, no program. */
    assert_int_equal(reg_store_sensitive_put(f->store, "700", NULL, false, 1000), REG_OK);
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "700", &got), REG_OK);
    assert_null(got.program);
    assert_true(got.marked_at == 1000);

    /* A program attached; marked_at stays the first mark's. */
    assert_int_equal(
        reg_store_sensitive_put(f->store, "700", "process.exit(\"\xc3\xa9\" ? 0 : 1)", true, 2000),
        REG_OK);
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "700", &got), REG_OK);
    assert_string_equal(got.program, "process.exit(\"\xc3\xa9\" ? 0 : 1)");
    assert_true(got.marked_at == 1000);

    /* Marking again keeps the program; replacing replaces it; NULL removes it. */
    assert_int_equal(reg_store_sensitive_put(f->store, "700", NULL, false, 3000), REG_OK);
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "700", &got), REG_OK);
    assert_string_equal(got.program, "process.exit(\"\xc3\xa9\" ? 0 : 1)");
    assert_int_equal(reg_store_sensitive_put(f->store, "700", "process.exit(3)", true, 3000),
                     REG_OK);
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "700", &got), REG_OK);
    assert_string_equal(got.program, "process.exit(3)");
    assert_int_equal(reg_store_sensitive_put(f->store, "700", NULL, true, 3000), REG_OK);
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "700", &got), REG_OK);
    assert_null(got.program);
    assert_true(got.marked_at == 1000);

    /* Unmarked: gone, program and all; a second unmark finds nothing. */
    assert_int_equal(reg_store_sensitive_put(f->store, "700", "x", true, 4000), REG_OK);
    assert_int_equal(reg_store_sensitive_remove(f->store, "700"), REG_OK);
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "700", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_sensitive_remove(f->store, "700"), REG_ENOTFOUND);
    assert_int_equal(reg_store_sensitive_put(f->store, "700", NULL, false, 5000), REG_OK);
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "700", &got), REG_OK);
    assert_null(got.program);
    assert_true(got.marked_at == 5000);
    /* The record is not part of the artifact, and other ids are not marked. */
    assert_string_equal(sc_readme_of(f, "700"), "(null)");
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "70", &got), REG_ENOTFOUND);
}

static void
sc_case_sensitive_unknown_artifact(struct contract *f)
{
    struct reg_sensitive got;

    assert_int_equal(reg_store_sensitive_put(f->store, "404", NULL, false, 1), REG_ENOTFOUND);
    assert_int_equal(reg_store_sensitive_put(f->store, "404", "x", true, 1), REG_ENOTFOUND);
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "404", &got), REG_ENOTFOUND);
}

static struct reg_download_event
sc_event(const char *id, const char *user, int64_t date, bool refused, const char *monitor)
{
    return (struct reg_download_event){id, user, date, refused, monitor};
}

static void
sc_case_sensitive_goes_with_artifact(struct contract *f)
{
    struct reg_download_event e = sc_event("701", "bob", 10, false, NULL);
    struct reg_download_page page;
    struct reg_sensitive got;

    sc_put_artifact(f, "701", REG_TYPE_MODEL, "m");
    sc_put_artifact(f, "702", REG_TYPE_MODEL, "n");
    assert_int_equal(reg_store_sensitive_put(f->store, "701", "x", true, 1), REG_OK);
    assert_int_equal(reg_store_sensitive_put(f->store, "702", "y", true, 1), REG_OK);
    assert_int_equal(reg_store_download_append(f->store, &e), REG_OK);
    assert_int_equal(reg_store_remove(f->store, "701"), REG_OK);
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "701", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_download_list(f->store, &f->arena, "701", 0, 10, &page), REG_OK);
    assert_int_equal(page.count, 0);
    /* A re-registered artifact with that id starts unmarked. */
    sc_put_artifact(f, "701", REG_TYPE_MODEL, "m");
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "701", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "702", &got), REG_OK);
    /* Reset removes every record. */
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    sc_put_artifact(f, "702", REG_TYPE_MODEL, "n");
    assert_int_equal(reg_store_sensitive_get(f->store, &f->arena, "702", &got), REG_ENOTFOUND);
}

static void
sc_case_download_history_pages(struct contract *f)
{
    struct reg_download_page page;
    int64_t after = 0;
    int total = 0, pages = 0;
    char user[16];

    sc_put_artifact(f, "703", REG_TYPE_MODEL, "m");
    sc_put_artifact(f, "704", REG_TYPE_MODEL, "n");
    /* Dates out of order: the history is in append order. */
    for (int i = 0; i < 7; i++) {
        snprintf(user, sizeof(user), "user%d", i);
        struct reg_download_event e =
            sc_event("703", user, 100 - i, i % 2 == 1,
                     i % 2 == 1 ? "{\"exit_code\":3,\"output\":\"no \\\"way\\\"\"}" : NULL);
        assert_int_equal(reg_store_download_append(f->store, &e), REG_OK);
    }
    {
        struct reg_download_event other = sc_event("704", "eve", 5, true, "{}");
        assert_int_equal(reg_store_download_append(f->store, &other), REG_OK);
    }
    do {
        assert_int_equal(reg_store_download_list(f->store, &f->arena, "703", after, 3, &page),
                         REG_OK);
        for (int i = 0; i < page.count; i++, total++) {
            const struct reg_download_event *e = &page.items[i];
            char want[16];
            snprintf(want, sizeof(want), "user%d", total);
            assert_string_equal(e->user, want);
            assert_string_equal(e->artifact_id, "703");
            assert_true(e->date == 100 - total);
            assert_int_equal(e->refused, total % 2 == 1);
            if (total % 2 == 1)
                assert_string_equal(e->monitor, "{\"exit_code\":3,\"output\":\"no \\\"way\\\"\"}");
            else
                assert_null(e->monitor);
        }
        after = page.next_after;
        pages++;
    } while (after != 0 && pages < 10);
    assert_int_equal(total, 7);
    assert_int_equal(pages, 3);
    assert_int_equal(reg_store_download_list(f->store, &f->arena, "704", 0, 10, &page), REG_OK);
    assert_int_equal(page.count, 1);
    assert_string_equal(page.items[0].user, "eve");
    assert_int_equal(reg_store_download_list(f->store, &f->arena, "70", 0, 10, &page), REG_OK);
    assert_int_equal(page.count, 0);
}

/* reg_store_close(NULL) is a no-op, whatever the backend. */
static void
sc_case_close_null(struct contract *f)
{
    (void)f;
    reg_store_close(NULL);
}

/* ------------------------------------------------------------------------- package groups */

static struct reg_group
sc_group(const char *id, enum reg_group_state state, int64_t expires, int64_t version)
{
    struct reg_group g;

    memset(&g, 0, sizeof(g));
    snprintf(g.id, sizeof(g.id), "%s", id);
    g.owner = "alice";
    g.state = state;
    g.created = 1000;
    g.expires = expires;
    g.version = version;
    g.commands = "[]";
    return g;
}

/* group_put creates once and then replaces only at the version read; group_get reads it back. */
static void
sc_case_group_put_get(struct contract *f)
{
    struct reg_group g = sc_group("4242", REG_GROUP_OPEN, 5000, 1), got;

    assert_int_equal(reg_store_group_get(f->store, &f->arena, "4242", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_group_put(f->store, &g, -1), REG_OK);
    assert_int_equal(reg_store_group_put(f->store, &g, -1), REG_ECONFLICT);
    assert_int_equal(reg_store_group_get(f->store, &f->arena, "4242", &got), REG_OK);
    assert_string_equal(got.id, "4242");
    assert_string_equal(got.owner, "alice");
    assert_int_equal(got.state, REG_GROUP_OPEN);
    assert_int_equal(got.created, 1000);
    assert_int_equal(got.expires, 5000);
    assert_int_equal(got.version, 1);
    assert_string_equal(got.commands, "[]");
    assert_null(got.result);
    g.version = 2;
    g.state = REG_GROUP_FAILED;
    g.commands = "[{\"op\":\"ingest\"}]";
    g.result = "{\"error\":\"x\"}";
    assert_int_equal(reg_store_group_put(f->store, &g, 7), REG_ECONFLICT); /* stale read */
    assert_int_equal(reg_store_group_put(f->store, &g, 1), REG_OK);
    assert_int_equal(reg_store_group_put(f->store, &g, 1), REG_ECONFLICT); /* lost race */
    assert_int_equal(reg_store_group_get(f->store, &f->arena, "4242", &got), REG_OK);
    assert_int_equal(got.state, REG_GROUP_FAILED);
    assert_int_equal(got.version, 2);
    assert_string_equal(got.commands, "[{\"op\":\"ingest\"}]");
    assert_string_equal(got.result, "{\"error\":\"x\"}");
}

/* The artifacts of a commit: two inserts and an update of an artifact stored before. */
static void
sc_group_arts(struct contract *f, struct reg_artifact arts[3], bool updated[3])
{
    arts[0] = sc_make(f, "7001", REG_TYPE_MODEL, "g-one", "https://example/g-one");
    arts[0].readme = "one readme";
    arts[1] = sc_make(f, "7002", REG_TYPE_DATASET, "g-two", "https://example/g-two");
    arts[2] = sc_make(f, "7000", REG_TYPE_MODEL, "g-base", "https://example/g-base-v2");
    arts[2].metadata = "{\"v\":2}";
    updated[0] = updated[1] = false;
    updated[2] = true;
}

static void
sc_case_group_commit(struct contract *f)
{
    struct reg_group g = sc_group("4343", REG_GROUP_EXECUTING, 5000, 3), got;
    struct reg_artifact arts[3], art;
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    struct reg_store_page page;
    bool updated[3];
    int64_t count;

    sc_put(f, "7000", REG_TYPE_MODEL, "g-base");
    assert_int_equal(reg_store_group_put(f->store, &g, -1), REG_OK);
    sc_group_arts(f, arts, updated);
    g.state = REG_GROUP_COMMITTED;
    g.version = 4;
    g.result = "{\"artifacts\":[]}";
    assert_int_equal(reg_store_group_commit(f->store, &g, 3, arts, updated, 3), REG_OK);
    assert_int_equal(reg_store_get(f->store, &f->arena, "7001", &art), REG_OK);
    assert_string_equal(art.readme, "one readme");
    assert_int_equal(reg_store_get(f->store, &f->arena, "7000", &art), REG_OK);
    assert_string_equal(art.url, "https://example/g-base-v2");
    assert_string_equal(art.metadata, "{\"v\":2}");
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, 0, 10, &page), REG_OK);
    assert_int_equal(page.count, 3);
    assert_int_equal(reg_store_count(f->store, &count), REG_OK);
    assert_int_equal(count, 3);
    assert_int_equal(reg_store_group_get(f->store, &f->arena, "4343", &got), REG_OK);
    assert_int_equal(got.state, REG_GROUP_COMMITTED);
    assert_int_equal(got.version, 4);
    /* a second commit of the same group (its version moved on) is refused */
    assert_int_equal(reg_store_group_commit(f->store, &g, 3, arts, updated, 3), REG_ECONFLICT);
}

/* A commit whose second insert finds its URL taken writes nothing, the first insert and the
 * update included, and leaves the group as it was. */
static void
sc_case_group_commit_conflict_leaves_nothing(struct contract *f)
{
    struct reg_group g = sc_group("4444", REG_GROUP_EXECUTING, 5000, 3), got;
    struct reg_artifact arts[3], art, other;
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    struct reg_store_page page;
    bool updated[3], taken;

    sc_put(f, "7000", REG_TYPE_MODEL, "g-base");
    other = sc_make(f, "7999", REG_TYPE_DATASET, "other", "https://example/g-two");
    assert_int_equal(reg_store_insert(f->store, &other, &taken), REG_OK);
    assert_int_equal(reg_store_group_put(f->store, &g, -1), REG_OK);
    sc_group_arts(f, arts, updated);
    g.state = REG_GROUP_COMMITTED;
    g.version = 4;
    assert_int_equal(reg_store_group_commit(f->store, &g, 3, arts, updated, 3), REG_ECONFLICT);
    assert_int_equal(reg_store_get(f->store, &f->arena, "7001", &art), REG_ENOTFOUND);
    assert_int_equal(reg_store_get(f->store, &f->arena, "7000", &art), REG_OK);
    assert_string_equal(art.url, "https://example/7000");
    assert_int_equal(reg_store_list(f->store, &f->arena, &all, 1, 0, 10, &page), REG_OK);
    assert_int_equal(page.count, 2);
    assert_int_equal(reg_store_group_get(f->store, &f->arena, "4444", &got), REG_OK);
    assert_int_equal(got.state, REG_GROUP_EXECUTING);
    assert_int_equal(got.version, 3);
    /* the URL the failed commit claimed first is free again */
    art = sc_make(f, "7003", REG_TYPE_MODEL, "again", "https://example/g-one");
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
}

/* The sweep removes the groups that expired before now, whatever their state, and no other. */
static void
sc_case_group_sweep(struct contract *f)
{
    static const enum reg_group_state states[] = {REG_GROUP_OPEN, REG_GROUP_EXECUTING,
                                                  REG_GROUP_COMMITTED, REG_GROUP_FAILED};
    struct reg_group got;

    for (int i = 0; i < 4; i++) {
        char id[16];
        struct reg_group old, young;
        snprintf(id, sizeof(id), "10%d", i);
        old = sc_group(id, states[i], 100, 1);
        snprintf(id, sizeof(id), "20%d", i);
        young = sc_group(id, states[i], 300, 1);
        assert_int_equal(reg_store_group_put(f->store, &old, -1), REG_OK);
        assert_int_equal(reg_store_group_put(f->store, &young, -1), REG_OK);
    }
    assert_int_equal(reg_store_group_sweep(f->store, 200), REG_OK);
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof(id), "10%d", i);
        assert_int_equal(reg_store_group_get(f->store, &f->arena, id, &got), REG_ENOTFOUND);
        snprintf(id, sizeof(id), "20%d", i);
        assert_int_equal(reg_store_group_get(f->store, &f->arena, id, &got), REG_OK);
    }
}

#undef M
#undef D
#undef C

/* store_contract_<name>(s): the case on s, with an arena of its own. contract_<name>: the same
 * as a cmocka test, *state starting with a struct contract. */
#define STORE_CONTRACT_DEFINE_(name, a, b)                                                         \
    static void store_contract_##name(struct reg_store *s)                                         \
    {                                                                                              \
        struct contract c;                                                                         \
                                                                                                   \
        c.store = s;                                                                               \
        reg_arena_init(&c.arena);                                                                  \
        sc_case_##name(&c);                                                                        \
        reg_arena_cleanup(&c.arena);                                                               \
    }                                                                                              \
    static void contract_##name(void **state)                                                      \
    {                                                                                              \
        store_contract_##name(((struct contract *)*state)->store);                                 \
    }
STORE_CONTRACT_CASES(STORE_CONTRACT_DEFINE_, , )
#undef STORE_CONTRACT_DEFINE_
