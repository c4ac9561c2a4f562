/*
 * test_lineage.c - parent extraction (lib/core/lineage_parents.c) from model-card and config.json
 * variants: strings, lists, URLs, local paths, the model itself, duplicates, malformed JSON.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "core/lineage_parents.h"

struct lineage_case {
    const char *name;
    const char *card;
    const char *config;
    const char *want; /* "id@source,id@source" */
};

static const struct lineage_case cases[] = {
    {"card string", "{\"base_model\":\"google-bert/bert-base-uncased\"}", NULL,
     "google-bert/bert-base-uncased@model_card"},
    {"card list", "{\"base_model\":[\"a/b\",\"c\"]}", NULL, "a/b@model_card,c@model_card"},
    {"card URL", "{\"base_model\":\"https://huggingface.co/org/base\"}", NULL,
     "org/base@model_card"},
    {"config _name_or_path", NULL, "{\"_name_or_path\":\"openai/whisper-tiny\"}",
     "openai/whisper-tiny@config_json"},
    {"config adapter field", NULL, "{\"base_model_name_or_path\":\"meta/llama\"}",
     "meta/llama@config_json"},
    {"card before config, once", "{\"base_model\":\"Org/Base\"}",
     "{\"_name_or_path\":\"org/base\"}", "Org/Base@model_card"},
    {"local paths are not parents", NULL, "{\"_name_or_path\":\"/tmp/run-3/checkpoint\"}", ""},
    {"relative path", "{\"base_model\":\"./out\"}", NULL, ""},
    {"another host", "{\"base_model\":\"https://example.com/x/y\"}", NULL, ""},
    {"the model itself", "{\"base_model\":\"Me/Model\"}", "{\"_name_or_path\":\"me/model\"}", ""},
    {"non-strings ignored", "{\"base_model\":[1,null,{\"a\":1},\"x/y\"]}", NULL, "x/y@model_card"},
    {"malformed card", "{\"base_model\":", "{\"_name_or_path\":\"x/y\"}", "x/y@config_json"},
    {"card that is a list", "[\"a/b\"]", NULL, ""},
    {"nothing", NULL, NULL, ""},
    {"empty string", "{\"base_model\":\"\"}", NULL, ""},
};

static void
test_parents(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_arena a;
        struct reg_lineage_parent p[REG_LINEAGE_MAX_PARENTS];
        char got[512] = "";
        int n;

        reg_arena_init(&a);
        n = reg_lineage_parents(&a, "me/model", cases[i].card, cases[i].config, p,
                                REG_LINEAGE_MAX_PARENTS);
        for (int j = 0; j < n; j++)
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s@%s", j ? "," : "",
                     p[j].repo_id, reg_lineage_source_name(p[j].source));
        CHECK(&bad, strcmp(got, cases[i].want) == 0, "%s: got '%s', want '%s'", cases[i].name, got,
              cases[i].want);
        reg_arena_cleanup(&a);
    }
    assert_int_equal(bad, 0);
}

/* At most max parents are written, however many the card names. */
static void
test_bounded(void **state)
{
    struct reg_arena a;
    struct reg_lineage_parent p[3];

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(
        reg_lineage_parents(&a, NULL, "{\"base_model\":[\"a\",\"b\",\"c\",\"d\"]}", NULL, p, 3), 3);
    assert_string_equal(p[2].repo_id, "c");
    reg_arena_cleanup(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parents),
        cmocka_unit_test(test_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
