/*
 * test_graph.c - the lineage graph (lib/core/lineage.c) and the cost closure (lib/core/cost.c)
 * over a catalog on an in-memory SQLite store, with hand-written metadata documents: a chain,
 * a shared parent (diamond), a cycle, datasets and code as dependencies, unknown sizes and
 * malformed metadata; uploads and Kaggle datasets, which answer for no repository id; a chain of 1000 with a diamond and a cycle, checked against a naive
 * closure per member and for one catalog lookup per dependency name (the binary is linked with
 * -Wl,--wrap=reg_catalog_find_repo, see the Makefile).
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "core/catalog.h"
#include "core/cost.h"
#include "core/lineage.h"
#include "core/store_fixture.h"
#include "store/store.h"

/* Calls of reg_catalog_find_repo since the counter was last cleared. */
static long repo_lookups;

/* ld --wrap's names start with "__" by its definition. */
#ifdef __clang__
#pragma clang diagnostic ignored "-Wreserved-identifier"
#endif
const struct reg_catalog_entry *__real_reg_catalog_find_repo(const struct reg_catalog *cat,
                                                             enum reg_artifact_type t,
                                                             const char *repo_id);
const struct reg_catalog_entry *__wrap_reg_catalog_find_repo(const struct reg_catalog *cat,
                                                             enum reg_artifact_type t,
                                                             const char *repo_id);

const struct reg_catalog_entry *
__wrap_reg_catalog_find_repo(const struct reg_catalog *cat, enum reg_artifact_type t,
                             const char *repo_id)
{
    repo_lookups++;
    return __real_reg_catalog_find_repo(cat, t, repo_id);
}

static int
setup(void **state)
{
    struct store_fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    store_fixture_init(f, 1000);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct store_fixture *f = *state;

    store_fixture_cleanup(f);
    free(f);
    return 0;
}

/* Stores an artifact named name whose metadata is doc (NULL: none); returns its id. */
static const char *
add(struct store_fixture *f, enum reg_artifact_type t, const char *name, const char *doc)
{
    struct reg_artifact art;

    store_fixture_artifact(f, &art, t, name);
    art.url = reg_arena_sprintf(&f->arena, "https://huggingface.co/o/%s", name);
    art.metadata = doc;
    return store_fixture_insert(f, &art);
}

/* A model document: repository o/<name>, size in MB, parents "p1,p2", datasets, code. */
static const char *
model_doc(struct store_fixture *f, const char *name, int mb, const char *parents,
          const char *datasets, const char *code)
{
    const char *plist = "";
    char buf[256], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", parents ? parents : "");
    for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
        plist = reg_arena_sprintf(&f->arena, "%s%s{\"repo_id\":\"o/%s\",\"source\":\"model_card\"}",
                                  plist, *plist ? "," : "", p);
    return reg_arena_sprintf(
        &f->arena,
        "{\"format\":1,\"source\":{\"host\":\"huggingface\",\"kind\":\"model\","
        "\"repo_id\":\"o/%s\"},\"size_bytes\":%lld,\"parents\":[%s],"
        "\"datasets\":[%s],\"code\":[%s]}",
        name, mb * 1048576LL, plist, datasets ? datasets : "", code ? code : "");
}

static const char *
plain_doc(struct store_fixture *f, const char *kind, const char *host, const char *repo,
          long long bytes)
{
    return reg_arena_sprintf(
        &f->arena,
        "{\"format\":1,\"source\":{\"host\":\"%s\",\"kind\":\"%s\",\"repo_id\":"
        "\"%s\"},\"size_bytes\":%lld}",
        host, kind, repo, bytes);
}

static bool
has_edge(const struct reg_lineage_graph *g, const char *from, const char *to)
{
    for (int i = 0; i < g->nedges; i++)
        if (strcmp(g->edges[i].from, from) == 0 && strcmp(g->edges[i].to, to) == 0)
            return true;
    return false;
}

static const struct reg_cost_item *
item(const struct reg_cost_item *items, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(items[i].id, id) == 0)
            return &items[i];
    static const struct reg_cost_item none;

    fail_msg("no cost item for %s", id);
    return &none;
}

/* a <- b <- c, and d with parents b and c: a diamond over b. */
static void
test_diamond(void **state)
{
    struct store_fixture *f = *state;
    const char *d = add(f, REG_TYPE_MODEL, "d", model_doc(f, "d", 1, "b,c", NULL, NULL));
    const char *c = add(f, REG_TYPE_MODEL, "c", model_doc(f, "c", 2, "b", NULL, NULL));
    const char *b = add(f, REG_TYPE_MODEL, "b", model_doc(f, "b", 4, "a", NULL, NULL));
    const char *a = add(f, REG_TYPE_MODEL, "a", model_doc(f, "a", 8, NULL, NULL, NULL));
    struct reg_lineage_graph g;
    struct reg_cost_item *items;
    int n;

    assert_int_equal(reg_lineage_graph(f->catalog, f->store, &f->arena, b, &g), REG_OK);
    assert_int_equal(g.nnodes, 4);
    assert_string_equal(g.nodes[0].id, b);
    assert_string_equal(g.nodes[0].source, "registry");
    assert_int_equal(g.nedges, 4);
    assert_true(has_edge(&g, a, b) && has_edge(&g, b, c) && has_edge(&g, b, d) &&
                has_edge(&g, c, d));

    assert_int_equal(reg_cost(f->catalog, f->store, &f->arena, REG_TYPE_MODEL, d, true, &items, &n),
                     REG_OK);
    assert_int_equal(n, 4); /* b once, though both d and c name it */
    assert_string_equal(items[0].id, d);
    assert_true(fabs(item(items, n, d)->total_mb - 15.0) < 1e-9);
    assert_true(fabs(item(items, n, c)->total_mb - 14.0) < 1e-9);
    assert_true(fabs(item(items, n, a)->standalone_mb - 8.0) < 1e-9);
    assert_int_equal(
        reg_cost(f->catalog, f->store, &f->arena, REG_TYPE_MODEL, d, false, &items, &n), REG_OK);
    assert_int_equal(n, 1);
    assert_true(fabs(items[0].total_mb - 1.0) < 1e-9);
}

/* x names y and y names x: both walks end, each artifact counted once. */
static void
test_cycle(void **state)
{
    struct store_fixture *f = *state;
    const char *x = add(f, REG_TYPE_MODEL, "x", model_doc(f, "x", 1, "y", NULL, NULL));
    const char *y = add(f, REG_TYPE_MODEL, "y", model_doc(f, "y", 2, "x,y", NULL, NULL));
    struct reg_lineage_graph g;
    struct reg_cost_item *items;
    int n;

    assert_int_equal(reg_lineage_graph(f->catalog, f->store, &f->arena, x, &g), REG_OK);
    assert_int_equal(g.nnodes, 2);
    assert_int_equal(g.nedges, 2);
    assert_true(has_edge(&g, y, x) && has_edge(&g, x, y));
    assert_int_equal(reg_cost(f->catalog, f->store, &f->arena, REG_TYPE_MODEL, y, true, &items, &n),
                     REG_OK);
    assert_int_equal(n, 2);
    assert_true(fabs(items[0].total_mb - 3.0) < 1e-9);
    assert_true(fabs(items[1].total_mb - 3.0) < 1e-9);
}

/* Registered datasets and code the card names are dependencies; they are not lineage nodes. */
static void
test_datasets_and_code(void **state)
{
    struct store_fixture *f = *state;
    const char *m = add(f, REG_TYPE_MODEL, "m",
                        model_doc(f, "m", 1, NULL, "\"org/data\",\"org/absent\"",
                                  "\"https://github.com/org/code\""));
    const char *ds = add(f, REG_TYPE_DATASET, "data",
                         plain_doc(f, "dataset", "huggingface", "org/data", 3145728));
    const char *code =
        add(f, REG_TYPE_CODE, "code", plain_doc(f, "code", "github", "Org/Code", 1048576));
    struct reg_lineage_graph g;
    struct reg_cost_item *items;
    int n;

    assert_int_equal(reg_lineage_graph(f->catalog, f->store, &f->arena, m, &g), REG_OK);
    assert_int_equal(g.nnodes, 1);
    assert_int_equal(reg_cost(f->catalog, f->store, &f->arena, REG_TYPE_MODEL, m, true, &items, &n),
                     REG_OK);
    assert_int_equal(n, 3);
    assert_true(fabs(item(items, n, m)->total_mb - 5.0) < 1e-9);
    assert_true(fabs(item(items, n, ds)->total_mb - 3.0) < 1e-9);
    assert_true(fabs(item(items, n, code)->standalone_mb - 1.0) < 1e-9);
}

static void
test_errors(void **state)
{
    struct store_fixture *f = *state;
    const char *ok = add(f, REG_TYPE_MODEL, "ok", model_doc(f, "ok", 1, "kaggled", NULL, NULL));
    const char *bad = add(f, REG_TYPE_MODEL, "bad", "{\"format\":1}");
    const char *none = add(f, REG_TYPE_MODEL, "none", NULL);
    const char *ds =
        add(f, REG_TYPE_DATASET, "kaggled", plain_doc(f, "dataset", "kaggle", "o/k", -1));
    struct reg_lineage_graph g;
    struct reg_cost_item *items;
    int n;

    (void)ok;
    assert_int_equal(reg_lineage_graph(f->catalog, f->store, &f->arena, bad, &g), REG_EINVAL);
    assert_int_equal(reg_lineage_graph(f->catalog, f->store, &f->arena, none, &g), REG_EINVAL);
    assert_int_equal(reg_lineage_graph(f->catalog, f->store, &f->arena, ds, &g), REG_ENOTFOUND);
    assert_int_equal(reg_lineage_graph(f->catalog, f->store, &f->arena, "42", &g), REG_ENOTFOUND);
    assert_int_equal(
        reg_cost(f->catalog, f->store, &f->arena, REG_TYPE_DATASET, ds, false, &items, &n),
        REG_EINTERNAL);
    assert_non_null(strstr(reg_error_detail(), "no download size"));
    assert_int_equal(
        reg_cost(f->catalog, f->store, &f->arena, REG_TYPE_MODEL, ds, false, &items, &n),
        REG_ENOTFOUND);
    assert_int_equal(
        reg_cost(f->catalog, f->store, &f->arena, REG_TYPE_MODEL, bad, false, &items, &n),
        REG_EINTERNAL);
}

/* Only artifacts ingested from the host whose ids cards use answer for a repository id: an
 * upload named like a Hub model, registered first, is no parent, nor a Kaggle dataset whose
 * id a card names; the ingested model is, once registered. */
static void
test_only_ingested_artifacts_answer_for_a_repository(void **state)
{
    struct store_fixture *f = *state;
    const char *fake =
        add(f, REG_TYPE_MODEL, "base", plain_doc(f, "model", "upload", "O/Base", 1048576));
    const char *kaggle =
        add(f, REG_TYPE_DATASET, "data", plain_doc(f, "dataset", "kaggle", "o/data", 1048576));
    const char *child =
        add(f, REG_TYPE_MODEL, "child", model_doc(f, "child", 2, "base", "\"o/data\"", NULL));
    const char *base;
    struct reg_lineage_graph g;
    struct reg_cost_item *items;
    int n;

    assert_int_equal(reg_lineage_graph(f->catalog, f->store, &f->arena, child, &g), REG_OK);
    assert_int_equal(g.nnodes, 1);
    assert_int_equal(reg_lineage_graph(f->catalog, f->store, &f->arena, fake, &g), REG_OK);
    assert_int_equal(g.nnodes, 1);
    assert_int_equal(
        reg_cost(f->catalog, f->store, &f->arena, REG_TYPE_MODEL, child, true, &items, &n), REG_OK);
    assert_int_equal(n, 1);
    assert_null(reg_catalog_find_repo(f->catalog, REG_TYPE_MODEL, "o/base"));
    assert_null(reg_catalog_find_repo(f->catalog, REG_TYPE_DATASET, "o/data"));
    (void)kaggle;
    base = add(f, REG_TYPE_MODEL, "base-hub", model_doc(f, "base", 4, NULL, NULL, NULL));
    assert_int_equal(reg_lineage_graph(f->catalog, f->store, &f->arena, child, &g), REG_OK);
    assert_int_equal(g.nnodes, 2);
    assert_true(has_edge(&g, base, child));
    assert_int_equal(
        reg_cost(f->catalog, f->store, &f->arena, REG_TYPE_MODEL, child, true, &items, &n), REG_OK);
    assert_int_equal(n, 2);
    assert_true(fabs(items[0].total_mb - 6.0) < 1e-9);
    assert_string_equal(reg_catalog_find_repo(f->catalog, REG_TYPE_MODEL, "O/BASE")->id, base);
}

/* The chain of test_long_chain: model i names model i + 1 as its parent and the shared dataset;
 * the last names CHAIN_LOOP_TO (a cycle over the last ten) and CHAIN_FORK names CHAIN_FORK_TO
 * as a second parent, which it also reaches through the chain (a diamond). */
#define CHAIN_LEN 1000
#define CHAIN_LOOP_TO 990
#define CHAIN_FORK 500
#define CHAIN_FORK_TO 700
#define CHAIN_DATASET_MB 3

static int
chain_mb(int i)
{
    return i % 7 + 1;
}

/* The parents of chain model i (at most two), as indexes; returns how many. */
static int
chain_parents(int i, int out[2])
{
    int n = 0;

    out[n++] = i + 1 < CHAIN_LEN ? i + 1 : CHAIN_LOOP_TO;
    if (i == CHAIN_FORK)
        out[n++] = CHAIN_FORK_TO;
    return n;
}

/* The old semantics, the slow way: the bytes of every model reachable from i, each once, plus
 * the shared dataset. */
static double
chain_expected_mb(int i)
{
    static bool seen[CHAIN_LEN];
    int stack[CHAIN_LEN], depth = 0, parents[2];
    double mb = CHAIN_DATASET_MB;

    memset(seen, 0, sizeof(seen));
    seen[i] = true;
    stack[depth++] = i;
    while (depth > 0) {
        int x = stack[--depth];
        mb += chain_mb(x);
        for (int p = 0, n = chain_parents(x, parents); p < n; p++)
            if (!seen[parents[p]]) {
                seen[parents[p]] = true;
                stack[depth++] = parents[p];
            }
    }
    return mb;
}

static void
test_long_chain(void **state)
{
    struct store_fixture *f = *state;
    const char *ids[CHAIN_LEN], *ds;
    struct reg_cost_item *items;
    int n, parents[2];
    long names = 0;

    for (int i = 0; i < CHAIN_LEN; i++) {
        int np = chain_parents(i, parents);
        const char *name = reg_arena_sprintf(&f->arena, "c%d", i);
        const char *plist = reg_arena_sprintf(&f->arena, "c%d", parents[0]);
        if (np > 1)
            plist = reg_arena_sprintf(&f->arena, "%s,c%d", plist, parents[1]);
        names += np + 1;
        ids[i] = add(f, REG_TYPE_MODEL, name,
                     model_doc(f, name, chain_mb(i), plist, "\"o/shared\"", NULL));
    }
    ds = add(f, REG_TYPE_DATASET, "shared",
             plain_doc(f, "dataset", "huggingface", "o/shared", CHAIN_DATASET_MB * 1048576LL));
    assert_int_equal(reg_catalog_refresh(f->catalog, f->store), REG_OK);
    repo_lookups = 0;
    assert_int_equal(
        reg_cost(f->catalog, f->store, &f->arena, REG_TYPE_MODEL, ids[0], true, &items, &n),
        REG_OK);
    /* Each dependency name of each member is resolved once, not once per member's closure. */
    assert_true(repo_lookups <= names);
    assert_int_equal(n, CHAIN_LEN + 1);
    assert_string_equal(items[0].id, ids[0]);
    for (int i = 0; i < CHAIN_LEN; i++) {
        const struct reg_cost_item *it = item(items, n, ids[i]);
        assert_true(fabs(it->standalone_mb - chain_mb(i)) < 1e-9);
        if (fabs(it->total_mb - chain_expected_mb(i)) > 1e-6)
            fail_msg("c%d: total %.6f, expected %.6f", i, it->total_mb, chain_expected_mb(i));
    }
    assert_true(fabs(item(items, n, ds)->total_mb - CHAIN_DATASET_MB) < 1e-9);
    /* A member inside the cycle: the ten of the cycle and the dataset. */
    assert_int_equal(
        reg_cost(f->catalog, f->store, &f->arena, REG_TYPE_MODEL, ids[995], true, &items, &n),
        REG_OK);
    assert_int_equal(n, CHAIN_LEN - CHAIN_LOOP_TO + 1);
    assert_true(fabs(items[0].total_mb - chain_expected_mb(995)) < 1e-6);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_diamond, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_datasets_and_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_ingested_artifacts_answer_for_a_repository, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_long_chain, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
