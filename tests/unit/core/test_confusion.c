/*
 * test_confusion.c - the package-confusion detector on a crafted corpus: name relations (each
 * technique, and names that must stay unrelated), folding and the bounded edit distance, the
 * shape of download trails (a bot farm against human traffic), and the whole audit: the true
 * positives with their targets, techniques, signals and order; the false positives it must not
 * list (a popular look-alike of a popular original, the originals themselves, unrelated short
 * names, a weak namesake, artifacts without any popularity evidence, other types); the options;
 * traffic read only for candidate pairs; a traffic failure; and the trail read from a real
 * (in-memory SQLite) store.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/confusion.h"
#include "store_fixture.h"

/* --- names ------------------------------------------------------------------------------- */

static void
test_relate(void **state)
{
    static const struct {
        const char *a, *scope_a, *b, *scope_b;
        enum reg_confusion_technique want;
    } cases[] = {
        {"bert-base-uncazed", NULL, "bert-base-uncased", NULL, REG_CONFUSION_TYPO},
        {"bert-base-uncsaed", NULL, "bert-base-uncased", NULL, REG_CONFUSION_TYPO},
        {"bert-base-cased", NULL, "bert-base-uncased", NULL, REG_CONFUSION_TYPO},
        {"bert_base_uncased", NULL, "bert-base-uncased", NULL, REG_CONFUSION_DELIMITER},
        {"bertbaseuncased", NULL, "bert-base-uncased", NULL, REG_CONFUSION_DELIMITER},
        {"Bert-Base-Uncased", NULL, "bert-base-uncased", NULL, REG_CONFUSION_CASE},
        {"bert-base-unc4sed", NULL, "bert-base-uncased", NULL, REG_CONFUSION_HOMOGLYPH},
        {"b\xd0\xb5rt-base-uncased", NULL, "bert-base-uncased", NULL, REG_CONFUSION_HOMOGLYPH},
        {"IIama-2-7b", NULL, "llama-2-7b", NULL, REG_CONFUSION_HOMOGLYPH},
        {"rnistral-7b", NULL, "mistral-7b", NULL, REG_CONFUSION_HOMOGLYPH},
        {"bert-base-uncased-v2", NULL, "bert-base-uncased", NULL, REG_CONFUSION_COMBO},
        {"bert-base-uncased-fixed", NULL, "bert-base-uncased", NULL, REG_CONFUSION_COMBO},
        {"official-bert-base-uncased", NULL, "bert-base-uncased", NULL, REG_CONFUSION_COMBO},
        {"bert-base", NULL, "bert-base-uncased", NULL, REG_CONFUSION_SIMPLIFY},
        {"uncased-bert-base", NULL, "bert-base-uncased", NULL, REG_CONFUSION_REORDER},
        {"Llama-2-7b", "meta_llama", "Llama-2-7b", "meta-llama", REG_CONFUSION_SCOPE},
        {"Llama-2-7b", "metallama", "Llama-2-7b", "meta-llama", REG_CONFUSION_SCOPE},
        {"Llama-2-7b", "meta-1lama", "Llama-2-7b", "meta-llama", REG_CONFUSION_SCOPE},
        {"Llama-2-7b", NULL, "Llama-2-7b", "meta-llama", REG_CONFUSION_SCOPE},
        {"Llama-2-7b", "someone", "Llama-2-7b", "meta-llama", REG_CONFUSION_NAMESAKE},
        /* must stay unrelated */
        {"Llama-2-7b", "meta-llama", "Llama-2-7b", "Meta-Llama", REG_CONFUSION_NONE},
        {"Llama-2-7b", NULL, "Llama-2-7b", NULL, REG_CONFUSION_NONE},
        {"opt", NULL, "ops", NULL, REG_CONFUSION_NONE},
        {"bert", NULL, "bart", NULL, REG_CONFUSION_NONE},
        {"gpt2", NULL, "gpt3", NULL, REG_CONFUSION_NONE},
        {"t5", NULL, "t6", NULL, REG_CONFUSION_NONE},
        {"resnet-50", NULL, "vit-base", NULL, REG_CONFUSION_NONE},
        {"bert-uncased", NULL, "bert-base-uncased", NULL, REG_CONFUSION_NONE},
        {"albert", NULL, "bert", NULL, REG_CONFUSION_NONE},
        {"whisper-small", NULL, "whisper-large", NULL, REG_CONFUSION_NONE},
        {"ds-001", NULL, "ds-011", NULL, REG_CONFUSION_NONE},
        {"llama-2-7b", NULL, "llama-2-8b", NULL, REG_CONFUSION_NONE},
        {"whisper-large-v2", NULL, "whisper-large-v3", NULL, REG_CONFUSION_NONE},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        int d = -1;
        enum reg_confusion_technique got =
            reg_confusion_relate(cases[i].a, cases[i].scope_a, cases[i].b, cases[i].scope_b, &d);
        CHECK(&bad, got == cases[i].want, "%s vs %s: got %s, want %s", cases[i].a, cases[i].b,
              reg_confusion_technique_name(got), reg_confusion_technique_name(cases[i].want));
    }
    assert_int_equal(bad, 0);
}

static void
test_fold(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"G00gle-BERT", "googlebert"},
        {"rnodel", "model"},
        {"IIama", "llama"},
        {"vvhisper", "whlsper"},
        {"b_e.r t", "bert"},
        {"$1mp13", "slmple"},
        {"\xd0\xb0\xd1\x80", "ap"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        char out[REG_CONFUSION_NAME_MAX + 1];
        reg_confusion_fold(cases[i].in, out);
        CHECK(&bad, strcmp(out, cases[i].want) == 0, "%s: got %s, want %s", cases[i].in, out,
              cases[i].want);
    }
    assert_int_equal(bad, 0);
}

static void
test_distance(void **state)
{
    static const struct {
        const char *a, *b;
        int max, want;
    } cases[] = {
        {"ab", "ba", 2, 1},          {"kitten", "sitting", 5, 3},
        {"kitten", "sitting", 1, 2}, {"same", "same", 2, 0},
        {"", "abc", 3, 3},           {"abc", "", 2, 3},
        {"abcdef", "abcfed", 2, 2},  {"bertbaseuncased", "bertbasecased", 2, 2},
        {"a", "abcdefgh", 2, 3},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        int got = reg_confusion_distance(cases[i].a, strlen(cases[i].a), cases[i].b,
                                         strlen(cases[i].b), cases[i].max);
        CHECK(&bad, got == cases[i].want, "%s/%s max %d: got %d, want %d", cases[i].a, cases[i].b,
              cases[i].max, got, cases[i].want);
    }
    assert_int_equal(bad, 0);
}

/* --- traffic ----------------------------------------------------------------------------- */

#define T0 1764000000 /* a Unix time in 2025 */

/* 40 downloads by two accounts, one every 30 seconds. */
static void
bot_farm(int64_t *dates, const char **users, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dates[i] = T0 + (int64_t)i * 30;
        users[i] = i % 2 ? "bot-a" : "bot-b";
    }
}

/* n downloads by up to 7 people at irregular times (gaps from minutes to a day). */
static void
people(int64_t *dates, const char **users, size_t n)
{
    static const int64_t gaps[] = {4000, 95, 86000, 600, 17000, 40, 52000, 3000, 9000};
    static const char *const names[] = {"ann", "bob", "cat", "dan", "eve", "fay", "gus"};
    int64_t t = T0;

    for (size_t i = 0; i < n; i++) {
        t += gaps[i % NELEMS(gaps)];
        dates[i] = t;
        users[i] = names[(i * 3) % NELEMS(names)];
    }
}

static void
test_traffic_shapes(void **state)
{
    struct reg_arena *a = *state;
    int64_t dates[40];
    const char *users[40];
    struct reg_confusion_traffic t;

    bot_farm(dates, users, 40);
    reg_confusion_traffic_measure(a, dates, users, 40, &t);
    assert_int_equal(t.downloads, 40);
    assert_int_equal(t.accounts, 2);
    assert_true(fabs(t.top_share - 1.0) < 1e-9);
    assert_true(fabs(t.interval_cv) < 1e-9);
    assert_true(fabs(t.burst_share - 2.0 / 40.0) < 1e-9); /* two per minute */

    people(dates, users, 9);
    reg_confusion_traffic_measure(a, dates, users, 9, &t);
    assert_int_equal(t.accounts, 7);
    assert_true(t.top_share < 0.5);
    assert_true(t.interval_cv > 1.0);

    /* Every download in one second: a burst, as regular as the clock can tell. */
    for (int i = 0; i < 12; i++) {
        dates[i] = T0;
        users[i] = "bot";
    }
    reg_confusion_traffic_measure(a, dates, users, 12, &t);
    assert_true(fabs(t.burst_share - 1.0) < 1e-9);
    assert_true(fabs(t.interval_cv) < 1e-9);

    /* Too few downloads for intervals; none at all. */
    reg_confusion_traffic_measure(a, dates, users, 3, &t);
    assert_true(t.interval_cv < 0.0);
    reg_confusion_traffic_measure(a, NULL, NULL, 0, &t);
    assert_int_equal(t.downloads, 0);
    assert_int_equal(t.accounts, 0);
}

/* --- the audit over a crafted corpus ----------------------------------------------------- */

enum shape { QUIET, HUMAN, BOTS };

struct corpus_entry {
    struct reg_confusion_item item;
    enum shape shape;
    int downloads;
};

/* Originals (popular), look-alikes (true positives) and names that must not be listed. */
static const struct corpus_entry corpus[] = {
#define M REG_TYPE_MODEL
    /* popular originals */
    {{"1", "bert-base-uncased", M, "google-bert", 50, 1000000}, HUMAN, 9},
    {{"2", "bert-base-cased", M, "google-bert", 40, 900000}, HUMAN, 8},
    {{"3", "Llama-2-7b-hf", M, "meta-llama", 30, 500000}, HUMAN, 7},
    {{"4", "whisper-large-v3", M, "openai", 20, 300000}, HUMAN, 9},
    {{"5", "opt", M, "facebook", 25, 200000}, HUMAN, 6},
    {{"6", "stable-diffusion-xl", M, "sdxl-org", 3, 0}, HUMAN, 5}, /* popular here only */
    /* true positives */
    {{"10", "bert-base-uncazed", M, "bert-fan", 1, 0}, QUIET, 0},
    {{"11", "bert_base_uncased", M, "someone", 0, 0}, QUIET, 0},
    {{"12", "bert-base-unc4sed", M, "someone", 2, 0}, QUIET, 0},
    {{"13", "bert-base-uncased-v2", M, "google-bert", 1, 0}, QUIET, 1},
    {{"14", "Llama-2-7b-hf", M, "meta_llama", 1, 10}, QUIET, 0},
    {{"15", "whisper-larg-v3", M, "0penai", 0, 0}, BOTS, 40},
    /* 200 bot downloads: more popular than 6 by its raw figures, not once they are discounted */
    {{"16", "stable-diffusion-xI", M, "sd-fan", 0, 0}, BOTS, 200},
    /* must not be listed */
    {{"20", "ops", M, "x", 0, 0}, QUIET, 0},
    {{"21", "bert-base-uncased", M, "fan-club", 5, 0}, QUIET, 0}, /* weak namesake */
    {{"22", "my-model-a", M, NULL, 0, 0}, QUIET, 0},
    {{"23", "my-model-b", M, NULL, 0, 0}, QUIET, 0},
    {{"24", "resnet-50", M, "microsoft", 0, 0}, QUIET, 0},
    {{"30", "bert-base-uncazed", REG_TYPE_DATASET, "x", 0, 0}, QUIET, 0},
#undef M
};
#define NCORPUS NELEMS(corpus)

struct fake_trails {
    int calls[NCORPUS];
    const char *fail_id; /* this id's traffic fails */
};

static int
corpus_index(const char *id)
{
    for (int i = 0; i < NCORPUS; i++)
        if (strcmp(corpus[i].item.id, id) == 0)
            return i;
    fail_msg("no corpus entry %s", id);
    return -1;
}

static enum reg_status
fake_traffic(void *ctx, struct reg_arena *a, const char *id, struct reg_confusion_traffic *out)
{
    struct fake_trails *f = ctx;
    int i = corpus_index(id);
    size_t n = (size_t)corpus[i].downloads;
    int64_t *dates = reg_arena_alloc(a, sizeof(*dates) * (n + 1));
    const char **users = reg_arena_alloc(a, sizeof(*users) * (n + 1));

    f->calls[i]++;
    if (f->fail_id && strcmp(f->fail_id, id) == 0)
        return reg_errorf(REG_ESTORE, "trail of %s unreadable", id);
    if (corpus[i].shape == BOTS)
        bot_farm(dates, users, n);
    else
        people(dates, users, n);
    reg_confusion_traffic_measure(a, dates, users, n, out);
    return REG_OK;
}

static struct reg_confusion_item *
corpus_items(struct reg_arena *a)
{
    struct reg_confusion_item *items = reg_arena_alloc(a, sizeof(*items) * NCORPUS);

    for (int i = 0; i < NCORPUS; i++)
        items[i] = corpus[i].item;
    return items;
}

static const struct reg_confusion_finding *
finding_of(const struct reg_confusion_finding *f, int n, const char *suspect)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].suspect->id, suspect) == 0)
            return &f[i];
    return NULL;
}

/* The finding of suspect, which must be listed (a missing one fails the test). */
static const struct reg_confusion_finding *
must_find(const struct reg_confusion_finding *f, int n, const char *suspect)
{
    static const struct reg_confusion_finding none;
    const struct reg_confusion_finding *g = finding_of(f, n, suspect);

    if (!g) {
        print_error("suspect %s is not listed\n", suspect);
        fail();
    }
    return g ? g : &none;
}

static void
test_audit_corpus(void **state)
{
    static const struct {
        const char *suspect, *target;
        enum reg_confusion_technique technique;
    } want[] = {
        {"15", "4", REG_CONFUSION_TYPO},      {"11", "1", REG_CONFUSION_DELIMITER},
        {"12", "1", REG_CONFUSION_HOMOGLYPH}, {"10", "1", REG_CONFUSION_TYPO},
        {"13", "1", REG_CONFUSION_COMBO},     {"14", "3", REG_CONFUSION_SCOPE},
        {"16", "6", REG_CONFUSION_HOMOGLYPH},
    };
    struct reg_arena *a = *state;
    struct reg_confusion_options opt = {REG_CONFUSION_DEFAULT_MIN_SCORE, REG_TYPE_ALL};
    struct fake_trails trails = {{0}, NULL};
    struct reg_confusion_finding *f;
    const struct reg_confusion_finding *bot;
    int n, bad = 0;

    assert_int_equal(
        reg_confusion_audit(a, corpus_items(a), NCORPUS, fake_traffic, &trails, &opt, &f, &n),
        REG_OK);
    CHECK(&bad, n == NELEMS(want), "%d findings, want %d", n, NELEMS(want));
    for (int i = 0; i < NELEMS(want); i++) {
        const struct reg_confusion_finding *g = finding_of(f, n, want[i].suspect);
        CHECK(&bad, g != NULL, "suspect %s not listed", want[i].suspect);
        if (!g)
            continue;
        CHECK(&bad, strcmp(g->target->id, want[i].target) == 0, "%s imitates %s, want %s",
              want[i].suspect, g->target->id, want[i].target);
        CHECK(&bad, g->technique == want[i].technique, "%s: technique %s, want %s", want[i].suspect,
              reg_confusion_technique_name(g->technique),
              reg_confusion_technique_name(want[i].technique));
    }
    for (int i = 0; i < n; i++) {
        CHECK(&bad, f[i].score >= opt.min_score && f[i].score <= 1.0, "score %f", f[i].score);
        CHECK(&bad, i == 0 || f[i - 1].score >= f[i].score, "not sorted at %d", i);
    }
    /* The bot farm ranks first, its traffic named for what it is. */
    bot = must_find(f, n, "15");
    assert_ptr_equal(bot, &f[0]);
    assert_true(bot->signals[REG_CSIG_TRAFFIC_ANOMALY] > 0.8);
    assert_true(fabs(bot->signals[REG_CSIG_TOP_SHARE] - 1.0) < 1e-9);
    assert_true(fabs(bot->signals[REG_CSIG_INTERVAL_CV]) < 1e-9);
    assert_true(fabs(bot->signals[REG_CSIG_ACCOUNTS] - 2.0) < 1e-9);
    assert_true(fabs(bot->signals[REG_CSIG_DOWNLOADS] - 40.0) < 1e-9);
    assert_true(fabs(bot->signals[REG_CSIG_DOWNLOADS_PER_SEARCH] - 40.0) < 1e-9);
    assert_true(fabs(bot->signals[REG_CSIG_TARGET_SEARCH_HITS] - 20.0) < 1e-9);
    /* Bot-farm inflation: 200 downloads would outweigh the original's 5 and 3 searches; judged
     * anomalous, they do not, and the look-alike is the suspect. */
    {
        const struct reg_confusion_finding *inflated = must_find(f, n, "16");
        assert_true(inflated->signals[REG_CSIG_TRAFFIC_ANOMALY] > 0.95);
        assert_true(fabs(inflated->signals[REG_CSIG_DOWNLOADS] - 200.0) < 1e-9);
        assert_true(inflated->signals[REG_CSIG_POPULARITY_GAP] > 0.7);
        assert_true(inflated->score > 0.8);
    }
    /* A quiet look-alike: a wide gap, no anomaly, no trail shape to speak of. */
    {
        const struct reg_confusion_finding *typo = must_find(f, n, "10");
        assert_true(typo->signals[REG_CSIG_POPULARITY_GAP] > 0.9);
        assert_true(fabs(typo->signals[REG_CSIG_TRAFFIC_ANOMALY]) < 1e-9);
        assert_true(isnan(typo->signals[REG_CSIG_INTERVAL_CV]));
        assert_true(fabs(typo->signals[REG_CSIG_EDIT_DISTANCE] - 1.0) < 1e-9);
    }
    /* Never listed: the originals, the popular look-alike (2), short names, the weak
     * namesake, names without evidence, another type. */
    static const char *const never[] = {"1",  "2",  "3",  "4",  "5",  "6",
                                        "20", "21", "22", "23", "24", "30"};
    for (int i = 0; i < NELEMS(never); i++)
        CHECK(&bad, finding_of(f, n, never[i]) == NULL, "%s listed", never[i]);
    /* Trails are read once each, and only for artifacts in a candidate pair. */
    for (int i = 0; i < NCORPUS; i++)
        CHECK(&bad, trails.calls[i] <= 1, "%s read %d times", corpus[i].item.id, trails.calls[i]);
    CHECK(&bad, trails.calls[corpus_index("24")] == 0, "resnet-50's trail was read");
    CHECK(&bad, trails.calls[corpus_index("30")] == 0, "the lone dataset's trail was read");
    assert_int_equal(bad, 0);
}

static void
test_audit_options(void **state)
{
    struct reg_arena *a = *state;
    struct reg_confusion_options all = {0.0, REG_TYPE_ALL};
    struct reg_confusion_options datasets = {0.0, REG_TYPE_BIT(REG_TYPE_DATASET)};
    struct reg_confusion_options strict = {0.99, REG_TYPE_ALL};
    struct fake_trails trails = {{0}, NULL};
    struct reg_confusion_finding *f;
    int n;

    /* No threshold: the weak namesake shows, below the default bar. */
    assert_int_equal(
        reg_confusion_audit(a, corpus_items(a), NCORPUS, fake_traffic, &trails, &all, &f, &n),
        REG_OK);
    assert_true(must_find(f, n, "21")->score < REG_CONFUSION_DEFAULT_MIN_SCORE);
    assert_int_equal(must_find(f, n, "21")->technique, REG_CONFUSION_NAMESAKE);
    /* The popular look-alike of a popular original stays far below the bar too. */
    assert_true(must_find(f, n, "2")->score < 0.35);
    /* Datasets only: the lone dataset has nothing to imitate. */
    assert_int_equal(
        reg_confusion_audit(a, corpus_items(a), NCORPUS, fake_traffic, &trails, &datasets, &f, &n),
        REG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(
        reg_confusion_audit(a, corpus_items(a), NCORPUS, fake_traffic, &trails, &strict, &f, &n),
        REG_OK);
    assert_int_equal(n, 0);
    /* An empty registry. */
    assert_int_equal(reg_confusion_audit(a, NULL, 0, fake_traffic, &trails, &all, &f, &n), REG_OK);
    assert_int_equal(n, 0);
}

static void
test_audit_traffic_failure(void **state)
{
    struct reg_arena *a = *state;
    struct reg_confusion_options opt = {REG_CONFUSION_DEFAULT_MIN_SCORE, REG_TYPE_ALL};
    struct fake_trails trails = {{0}, "15"};
    struct reg_confusion_finding *f;
    int n = -1;

    assert_int_equal(
        reg_confusion_audit(a, corpus_items(a), NCORPUS, fake_traffic, &trails, &opt, &f, &n),
        REG_ESTORE);
    assert_int_equal(n, 0);
}

/* The trail as the registry keeps it: DOWNLOAD entries among others, read from SQLite. */
static void
test_store_traffic(void **state)
{
    struct store_fixture fx;
    struct reg_artifact art;
    struct reg_confusion_traffic t;

    (void)state;
    store_fixture_init(&fx, 100);
    store_fixture_artifact(&fx, &art, REG_TYPE_MODEL, "whisper-larg-v3");
    art.url = "https://huggingface.co/0penai/whisper-larg-v3";
    store_fixture_insert(&fx, &art);
    for (int i = 0; i < 130; i++) {
        struct reg_audit_entry e = {.user = i % 2 ? "bot-a" : "bot-b",
                                    .date = T0 + i,
                                    .artifact = art,
                                    .action = i % 10 == 9 ? REG_AUDIT_AUDIT : REG_AUDIT_DOWNLOAD};
        assert_int_equal(reg_store_audit_append(fx.store, &e), REG_OK);
    }
    assert_int_equal(reg_confusion_store_traffic(fx.store, &fx.arena, art.id, &t), REG_OK);
    assert_int_equal(t.downloads, 117); /* 130 less the 13 AUDIT entries, over two pages */
    assert_int_equal(t.accounts, 2);
    assert_true(fabs(t.top_share - 1.0) < 1e-9);
    assert_true(fabs(t.burst_share - 54.0 / 117.0) < 1e-9); /* 60 s holds 60 entries, 54 DL */
    assert_int_equal(reg_confusion_store_traffic(fx.store, &fx.arena, "nope", &t), REG_OK);
    assert_int_equal(t.downloads, 0);
    store_fixture_cleanup(&fx);
}

#include "arena_fixture.h"

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relate),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_distance),
        cmocka_unit_test_setup_teardown(test_traffic_shapes, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_audit_corpus, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_audit_options, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_audit_traffic_failure, arena_setup, arena_teardown),
        cmocka_unit_test(test_store_traffic),
    };
    return cmocka_run_group_tests_name("core/confusion", tests, NULL, NULL);
}
