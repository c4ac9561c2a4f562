/*
 * test_search.c - reg_search_regex on a real SQLite store (":memory:"): matches on names and
 * README text in store order, pattern errors, catastrophic patterns that must answer promptly
 * (never asserted on time), and the cache following the store's generation counter. Every case
 * runs twice: with READMEs from a snapshot file (core/readme_snapshot.h) in a temporary
 * directory, and from the store's feed (no snapshot, or one whose directory does not exist), so
 * the two give the same answers.
 */
#include "unit.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/limits.h"

#include "core/search.h"
#include "core/store_fixture.h"
#include "store/store.h"
#include "tmpdir_fixture.h"

struct fixture {
    struct store_fixture s; /* store, catalog, arena */
    struct reg_search *search;
    char dir[PATH_MAX];                  /* the snapshot directory; "" when none */
    struct reg_readme_snapshot *readmes; /* NULL: READMEs from the store */
};

static struct fixture *
fixture_new(void)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    store_fixture_init(&f->s, 1000000000);
    assert_int_equal(reg_search_new(&f->search), REG_OK);
    return f;
}

/* READMEs from a snapshot in a fresh temporary directory. */
static int
setup(void **state)
{
    struct fixture *f = fixture_new();

    tmpdir_make(f->dir, sizeof(f->dir), NULL, "reg-test-search-snap");
    assert_int_equal(reg_readme_snapshot_new(f->dir, REG_README_SNAPSHOT_MAX, &f->readmes), REG_OK);
    *state = f;
    return 0;
}

/* READMEs from the store: no snapshot. */
static int
setup_store(void **state)
{
    *state = fixture_new();
    return 0;
}

/* READMEs from the store: a snapshot whose directory does not exist (search falls back). */
static int
setup_missing_dir(void **state)
{
    struct fixture *f = fixture_new();

    assert_int_equal(reg_readme_snapshot_new("/nonexistent-reg-search-dir", REG_README_SNAPSHOT_MAX,
                                             &f->readmes),
                     REG_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    reg_readme_snapshot_free(f->readmes);
    if (f->dir[0])
        tmpdir_remove(f->dir);
    reg_search_free(f->search);
    store_fixture_cleanup(&f->s);
    free(f);
    return 0;
}

/* Runs the search; the names found are joined with ',' into out (arena). */
static enum reg_status
search(struct fixture *f, const char *pattern, const char **out)
{
    struct reg_artifact *items = NULL;
    int count = -1;
    enum reg_status st = reg_search_regex(f->search, f->s.catalog, f->readmes, f->s.store,
                                          &f->s.arena, pattern, &items, &count);
    const char *joined = "";

    assert_true(count >= 0);
    if (st != REG_OK)
        assert_int_equal(count, 0);
    for (int i = 0; i < count; i++)
        joined = reg_arena_sprintf(&f->s.arena, "%s%s%s", joined, i ? "," : "", items[i].name);
    *out = joined;
    return st;
}

static void
expect(struct fixture *f, const char *pattern, const char *want)
{
    const char *got;
    enum reg_status st = search(f, pattern, &got);

    if (st != REG_OK)
        fail_msg("/%s/: status %d (%s)", pattern, st, reg_error_detail());
    if (strcmp(got, want) != 0)
        fail_msg("/%s/: found [%s], want [%s]", pattern, got, want);
}

static void
seed(struct fixture *f)
{
    store_fixture_add(&f->s, REG_TYPE_MODEL, "bert-base-uncased",
                      "# BERT\nA transformers model for masked LM.");
    store_fixture_add(&f->s, REG_TYPE_MODEL, "whisper-tiny",
                      "Speech recognition by OpenAI.\nLicense: MIT");
    store_fixture_add(&f->s, REG_TYPE_DATASET, "bookcorpus", "Books used to pretrain BERT.");
    store_fixture_add(&f->s, REG_TYPE_CODE, "whisper", NULL);
    store_fixture_add(&f->s, REG_TYPE_MODEL, "distilbert-base", "");
    store_fixture_add(&f->s, REG_TYPE_DATASET, "caf\xc3\xa9-reviews",
                      "Reviews in fran\xc3\xa7"
                      "ais.");
}

static void
test_matches_names_and_readmes(void **state)
{
    struct fixture *f = *state;

    seed(f);
    /* Names, in store order (insertion order), whatever the type. */
    expect(f, "whisper", "whisper-tiny,whisper");
    expect(f, "^whisper$", "whisper");
    expect(f, "bert", "bert-base-uncased,distilbert-base");
    expect(f, "^bert", "bert-base-uncased");
    expect(f, "tiny|corpus", "whisper-tiny,bookcorpus");
    /* README text only. */
    expect(f, "Speech recognition", "whisper-tiny");
    expect(f, "masked LM", "bert-base-uncased");
    expect(f, "(?m)^License: MIT$", "whisper-tiny");
    /* Name or README: BERT in bookcorpus's README, bert in the names. */
    expect(f, "BERT", "bert-base-uncased,bookcorpus");
    expect(f, "(?i)bert", "bert-base-uncased,bookcorpus,distilbert-base");
    /* UTF-8 subjects and patterns. */
    expect(f, "caf\xc3\xa9", "caf\xc3\xa9-reviews");
    expect(f, "^caf.-", "caf\xc3\xa9-reviews");
    expect(f, "fran\xc3\xa7", "caf\xc3\xa9-reviews");
    /* Every artifact. */
    expect(f, ".",
           "bert-base-uncased,whisper-tiny,bookcorpus,whisper,distilbert-base,caf\xc3\xa9-reviews");
    /* No result. */
    expect(f, "no-such-thing", "");
    expect(f, "^$x", "");
}

static void
test_result_fields(void **state)
{
    struct fixture *f = *state;
    const char *id1 = store_fixture_add(&f->s, REG_TYPE_CODE, "alpha", NULL);
    const char *id2 = store_fixture_add(&f->s, REG_TYPE_DATASET, "beta", "alpha inside");
    struct reg_artifact *items;
    int count;

    assert_int_equal(reg_search_regex(f->search, f->s.catalog, f->readmes, f->s.store, &f->s.arena,
                                      "alpha", &items, &count),
                     REG_OK);
    assert_int_equal(count, 2);
    assert_string_equal(items[0].id, id1);
    assert_int_equal(items[0].type, REG_TYPE_CODE);
    assert_string_equal(items[0].name, "alpha");
    assert_string_equal(items[1].id, id2);
    assert_int_equal(items[1].type, REG_TYPE_DATASET);
    assert_string_equal(items[1].name, "beta");
}

static void
test_empty_store(void **state)
{
    struct fixture *f = *state;

    expect(f, ".*", "");
    expect(f, "x", "");
}

static void
test_invalid_patterns(void **state)
{
    static const char *const invalid[] = {
        "(",  ")",    "[",  "[a-",     "a{2,1}",         "*",
        "+a", "(?<n", "\\", "(?P<>x)", "a{70000,80000}", "\\k<nope>",
    };
    struct fixture *f = *state;
    int bad = 0;

    seed(f);
    for (int i = 0; i < NELEMS(invalid); i++) {
        const char *got;
        enum reg_status st = search(f, invalid[i], &got);
        CHECK(&bad, st == REG_EINVAL, "/%s/: status %d, want REG_EINVAL", invalid[i], st);
        CHECK(&bad, st != REG_EINVAL || strstr(reg_error_detail(), "regex") != NULL,
              "/%s/: detail '%s'", invalid[i], reg_error_detail());
    }
    assert_int_equal(bad, 0);
}

static void
test_empty_pattern(void **state)
{
    struct fixture *f = *state;
    const char *got;

    seed(f);
    assert_int_equal(search(f, "", &got), REG_EINVAL);
}

static void
test_pattern_length(void **state)
{
    struct fixture *f = *state;
    char pattern[REG_REGEX_MAX_LEN + 2];
    const char *got;
    char *name = malloc(REG_REGEX_MAX_LEN + 1);

    assert_non_null(name);
    /* A README holding REG_REGEX_MAX_LEN 'a's, found by a pattern of that length. */
    memset(name, 'a', REG_REGEX_MAX_LEN);
    name[REG_REGEX_MAX_LEN] = '\0';
    store_fixture_add(&f->s, REG_TYPE_MODEL, "long", name);
    memset(pattern, 'a', REG_REGEX_MAX_LEN);
    pattern[REG_REGEX_MAX_LEN] = '\0';
    expect(f, pattern, "long");
    /* One character more is refused before compiling. */
    pattern[REG_REGEX_MAX_LEN] = 'a';
    pattern[REG_REGEX_MAX_LEN + 1] = '\0';
    assert_int_equal(search(f, pattern, &got), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "long"));
    free(name);
}

static void
test_oversized_bounds(void **state)
{
    struct fixture *f = *state;

    store_fixture_add(&f->s, REG_TYPE_MODEL, "aaa", NULL);
    store_fixture_add(&f->s, REG_TYPE_MODEL, "lit-x{1,99999}", NULL);
    /* {n,m} with m past PCRE2's limit is read as {n,}. */
    expect(f, "^a{2,70000}$", "aaa");
    expect(f, "^a{4,70000}$", "");
    /* Not inside \Q...\E, classes or after a backslash. */
    expect(f, "x\\Q{1,99999}\\E", "lit-x{1,99999}");
    expect(f, "x\\{1,99999}", "lit-x{1,99999}");
    expect(f, "[{]1,99999}", "lit-x{1,99999}");
}

static void
test_character_classes(void **state)
{
    struct fixture *f = *state;

    store_fixture_add(&f->s, REG_TYPE_MODEL, "abc", NULL);
    store_fixture_add(&f->s, REG_TYPE_MODEL, "xyz", NULL);
    store_fixture_add(&f->s, REG_TYPE_MODEL, "a]b", NULL);
    store_fixture_add(&f->s, REG_TYPE_MODEL, "[x", NULL);
    expect(f, "^[ab]", "abc,a]b");
    expect(f, "^[a-c]+$", "abc");
    expect(f, "\\[", "[x");
    expect(f, "[\\]]", "a]b");
    /* Negated classes, and ']' first in a class, where it is a literal. */
    expect(f, "^[^a]", "xyz,[x");
    expect(f, "^[^a[]", "xyz");
    expect(f, "^[^a-z]", "[x");
    expect(f, "[]]", "a]b");
    expect(f, "^a[]x]b$", "a]b");
    expect(f, "^[^]a]", "xyz,[x");
}

/* The outcome of a catastrophic search: REG_EINVAL, or REG_OK with exactly the names that
 * truly match (want). */
static void
expect_prompt(struct fixture *f, const char *pattern, const char *want)
{
    const char *got;
    enum reg_status st = search(f, pattern, &got);

    if (st == REG_EINVAL)
        return;
    if (st != REG_OK)
        fail_msg("/%s/: status %d (%s)", pattern, st, reg_error_detail());
    if (strcmp(got, want) != 0)
        fail_msg("/%s/: found [%s], want [%s]", pattern, got, want);
}

/* None of these can match a subject of 'a's ending in 'b'. */
static const char *const catastrophic[] = {
    "(a{1,99999}){1,99999}$",
    "(a|aa)+$",
    "(a+)+$",
    "(a|a?)+b$x",
    "^(a+)+b?c$",
    "(.*a){20}$",
    "((a+)+)+$",
};

static void
test_catastrophic_names(void **state)
{
    struct fixture *f = *state;
    char subject[64];

    /* 40 'a's and a 'b': no pattern above can match it. */
    memset(subject, 'a', 40);
    strcpy(subject + 40, "b");
    for (int i = 0; i < 16; i++)
        store_fixture_add(&f->s, REG_TYPE_MODEL, subject, NULL);
    for (int i = 0; i < NELEMS(catastrophic); i++)
        expect_prompt(f, catastrophic[i], "");
}

static void
test_catastrophic_readme(void **state)
{
    struct fixture *f = *state;
    /* As long as search reads of a README: 'a's, then the 'b' that no pattern can match. */
    const size_t n = REG_SEARCH_README_MAX - 1;
    char *readme = malloc(n + 2);

    assert_non_null(readme);
    memset(readme, 'a', n);
    readme[n] = 'b';
    readme[n + 1] = '\0';
    store_fixture_add(&f->s, REG_TYPE_MODEL, "big-readme", readme);
    store_fixture_add(&f->s, REG_TYPE_DATASET, "big-readme-2", readme);
    for (int i = 0; i < NELEMS(catastrophic); i++)
        expect_prompt(f, catastrophic[i], "");
    free(readme);
}

static void
test_catastrophic_keeps_true_matches(void **state)
{
    struct fixture *f = *state;
    char subject[64];

    memset(subject, 'a', 40);
    strcpy(subject + 40, "b");
    store_fixture_add(&f->s, REG_TYPE_MODEL, subject, NULL);
    /* Ends in 'a': every pattern below truly matches it. */
    store_fixture_add(&f->s, REG_TYPE_MODEL, "model-aaaa", NULL);
    store_fixture_add(&f->s, REG_TYPE_MODEL, subject, NULL);
    expect_prompt(f, "(a{1,99999}){1,99999}$", "model-aaaa");
    expect_prompt(f, "(a|aa)+$", "model-aaaa");
    expect_prompt(f, "(a+)+$", "model-aaaa");
}

static void
test_many_artifacts(void **state)
{
    struct fixture *f = *state;
    char name[32];
    const char *got;

    for (int i = 0; i < 600; i++) {
        snprintf(name, sizeof(name), "m-%04d", i);
        store_fixture_add(&f->s, REG_TYPE_MODEL, name, i % 100 == 7 ? "needle" : "hay");
    }
    expect(f, "needle", "m-0007,m-0107,m-0207,m-0307,m-0407,m-0507");
    expect(f, "^m-059[89]$", "m-0598,m-0599");
    assert_int_equal(search(f, ".", &got), REG_OK);
    assert_int_equal(strlen(got), 600 * 7 - 1);
}

static void
test_cache_follows_store(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact art;
    const char *id;
    uint64_t gen0, gen1;

    expect(f, "fresh", "");
    assert_int_equal(reg_store_generation(f->s.store, &gen0), REG_OK);
    /* Insert: seen by the next search. */
    id = store_fixture_add(&f->s, REG_TYPE_MODEL, "fresh-model", "first readme");
    assert_int_equal(reg_store_generation(f->s.store, &gen1), REG_OK);
    assert_true(gen1 != gen0);
    expect(f, "fresh", "fresh-model");
    expect(f, "first readme", "fresh-model");
    /* Update of the name and README. */
    assert_int_equal(reg_store_get(f->s.store, &f->s.arena, id, &art), REG_OK);
    art.name = "renamed-model";
    art.readme = "second readme";
    assert_int_equal(reg_store_update(f->s.store, &art), REG_OK);
    expect(f, "fresh", "");
    expect(f, "renamed", "renamed-model");
    expect(f, "first readme", "");
    expect(f, "second readme", "renamed-model");
    /* Delete. */
    store_fixture_add(&f->s, REG_TYPE_CODE, "other-model", NULL);
    expect(f, "model", "renamed-model,other-model");
    assert_int_equal(reg_store_remove(f->s.store, id), REG_OK);
    expect(f, "model", "other-model");
    expect(f, "renamed", "");
    /* Reset. */
    assert_int_equal(reg_store_reset(f->s.store), REG_OK);
    expect(f, "model", "");
    store_fixture_add(&f->s, REG_TYPE_MODEL, "after-reset-model", NULL);
    expect(f, "model", "after-reset-model");
}

static void
test_cache_across_connections(void **state)
{
    struct fixture *f = *state;
    char dir[] = "/tmp/reg-test-search-XXXXXX";
    char path[sizeof(dir) + 16];
    struct reg_store *writer, *reader;
    struct reg_store *saved = f->s.store;
    struct reg_artifact art;
    bool taken;

    /* Two connections on one file, as two workers: the reader's cache follows the writer. */
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/registry.db", dir);
    assert_int_equal(reg_store_sqlite_open(path, &writer), REG_OK);
    assert_int_equal(reg_store_sqlite_open(path, &reader), REG_OK);
    f->s.store = reader;
    expect(f, "shared", "");
    memset(&art, 0, sizeof(art));
    strcpy(art.id, "77");
    art.type = REG_TYPE_MODEL;
    art.name = "shared-model";
    art.url = "https://huggingface.co/shared-model";
    assert_int_equal(reg_store_insert(writer, &art, &taken), REG_OK);
    expect(f, "shared", "shared-model");
    assert_int_equal(reg_store_remove(writer, "77"), REG_OK);
    expect(f, "shared", "");
    f->s.store = saved;
    reg_store_close(reader);
    reg_store_close(writer);
    unlink(path);
    snprintf(path, sizeof(path), "%s/registry.db-wal", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/registry.db-shm", dir);
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
}

static void
test_free_null(void **state)
{
    (void)state;
    reg_search_free(NULL);
}

/* Every case, for one setup. */
#define CASES(setup_fn)                                                                            \
    cmocka_unit_test_setup_teardown(test_matches_names_and_readmes, setup_fn, teardown),           \
        cmocka_unit_test_setup_teardown(test_result_fields, setup_fn, teardown),                   \
        cmocka_unit_test_setup_teardown(test_empty_store, setup_fn, teardown),                     \
        cmocka_unit_test_setup_teardown(test_invalid_patterns, setup_fn, teardown),                \
        cmocka_unit_test_setup_teardown(test_empty_pattern, setup_fn, teardown),                   \
        cmocka_unit_test_setup_teardown(test_pattern_length, setup_fn, teardown),                  \
        cmocka_unit_test_setup_teardown(test_oversized_bounds, setup_fn, teardown),                \
        cmocka_unit_test_setup_teardown(test_character_classes, setup_fn, teardown),               \
        cmocka_unit_test_setup_teardown(test_catastrophic_names, setup_fn, teardown),              \
        cmocka_unit_test_setup_teardown(test_catastrophic_readme, setup_fn, teardown),             \
        cmocka_unit_test_setup_teardown(test_catastrophic_keeps_true_matches, setup_fn, teardown), \
        cmocka_unit_test_setup_teardown(test_many_artifacts, setup_fn, teardown),                  \
        cmocka_unit_test_setup_teardown(test_cache_follows_store, setup_fn, teardown),             \
        cmocka_unit_test_setup_teardown(test_cache_across_connections, setup_fn, teardown)

int
main(void)
{
    const struct CMUnitTest snapshot[] = {CASES(setup), cmocka_unit_test(test_free_null)};
    const struct CMUnitTest store[] = {CASES(setup_store)};
    const struct CMUnitTest missing_dir[] = {CASES(setup_missing_dir)};
    int failed = cmocka_run_group_tests_name("core/search (snapshot)", snapshot, NULL, NULL);

    failed += cmocka_run_group_tests_name("core/search (store)", store, NULL, NULL);
    failed += cmocka_run_group_tests_name("core/search (missing snapshot directory)", missing_dir,
                                          NULL, NULL);
    return failed;
}
