/*
 * test_sensitive.c - sensitive models' rules over the real SQLite store (":memory:"): only
 * models are marked; a program is non-empty UTF-8 text without NUL of at most 64 KiB; marking
 * keeps a program, removing a program keeps the mark; the uploader is the CREATE entry's user;
 * a recorded run keeps its output only for refusals; the JSON of an event and of a mark.
 */
#include "unit.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "core/audit.h"
#include "core/sensitive.h"
#include "store_fixture.h"

static struct store_fixture fx;

static int
setup(void **state)
{
    (void)state;
    store_fixture_init(&fx, 500);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    store_fixture_cleanup(&fx);
    return 0;
}

static struct reg_artifact
stored(enum reg_artifact_type t, const char *name)
{
    struct reg_artifact art;

    store_fixture_artifact(&fx, &art, t, name);
    art.url = reg_arena_sprintf(&fx.arena, "https://huggingface.co/o/%s", name);
    store_fixture_insert(&fx, &art);
    return art;
}

static void
test_only_models(void **state)
{
    struct reg_artifact data = stored(REG_TYPE_DATASET, "squad");

    (void)state;
    assert_int_equal(reg_sensitive_mark(fx.store, &data), REG_EINVAL);
    assert_int_equal(reg_sensitive_set_program(fx.store, &data, "x", 1), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "only models"));
}

static void
test_program_rules(void **state)
{
    struct reg_artifact m = stored(REG_TYPE_MODEL, "bert");
    struct reg_sensitive s;
    char *big = malloc(REG_MONITOR_PROGRAM_MAX + 2);
    int bad = 0;
    const struct {
        const char *text;
        size_t len;
        enum reg_status want;
    } cases[] = {
        {"", 0, REG_EINVAL},
        {"a\0b", 3, REG_EINVAL},
        {"console.log('\xff')", 16, REG_EINVAL},
        {"console.log('\xc3\xa9')", 17, REG_OK},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum reg_status st = reg_sensitive_set_program(fx.store, &m, cases[i].text, cases[i].len);
        CHECK(&bad, st == cases[i].want, "case %zu: status %d, want %d", i, st, cases[i].want);
    }
    assert_int_equal(bad, 0);
    memset(big, '/', REG_MONITOR_PROGRAM_MAX + 1);
    big[REG_MONITOR_PROGRAM_MAX + 1] = '\0';
    assert_int_equal(reg_sensitive_set_program(fx.store, &m, big, REG_MONITOR_PROGRAM_MAX + 1),
                     REG_ETOOLARGE);
    big[REG_MONITOR_PROGRAM_MAX] = '\0';
    assert_int_equal(reg_sensitive_set_program(fx.store, &m, big, REG_MONITOR_PROGRAM_MAX), REG_OK);
    free(big);
    assert_int_equal(reg_sensitive_get(fx.store, &fx.arena, &m, &s), REG_OK);
    assert_int_equal(strlen(s.program), REG_MONITOR_PROGRAM_MAX);

    /* Marking keeps it; removing it keeps the mark; a second removal finds none. */
    assert_int_equal(reg_sensitive_mark(fx.store, &m), REG_OK);
    assert_int_equal(reg_sensitive_get(fx.store, &fx.arena, &m, &s), REG_OK);
    assert_non_null(s.program);
    assert_int_equal(reg_sensitive_remove_program(fx.store, &fx.arena, &m), REG_OK);
    assert_int_equal(reg_sensitive_get(fx.store, &fx.arena, &m, &s), REG_OK);
    assert_null(s.program);
    assert_int_equal(reg_sensitive_remove_program(fx.store, &fx.arena, &m), REG_ENOTFOUND);
    assert_int_equal(reg_sensitive_unmark(fx.store, &m), REG_OK);
    assert_int_equal(reg_sensitive_get(fx.store, &fx.arena, &m, &s), REG_ENOTFOUND);
    assert_int_equal(reg_sensitive_remove_program(fx.store, &fx.arena, &m), REG_ENOTFOUND);
    assert_int_equal(reg_sensitive_unmark(fx.store, &m), REG_ENOTFOUND);
}

static void
test_uploader_is_the_create_entry(void **state)
{
    struct reg_artifact m = stored(REG_TYPE_MODEL, "gpt");
    const char *who = NULL;

    (void)state;
    assert_int_equal(reg_sensitive_uploader(fx.store, &fx.arena, &m, &who), REG_OK);
    assert_string_equal(who, "unknown");
    assert_int_equal(reg_audit_record(fx.store, "alice", false, &m, REG_AUDIT_CREATE), REG_OK);
    assert_int_equal(reg_audit_record(fx.store, "root", true, &m, REG_AUDIT_UPDATE), REG_OK);
    assert_int_equal(reg_audit_record(fx.store, "bob", false, &m, REG_AUDIT_DOWNLOAD), REG_OK);
    assert_int_equal(reg_sensitive_uploader(fx.store, &fx.arena, &m, &who), REG_OK);
    assert_string_equal(who, "alice");
}

/* The JSON text of an object, in the arena. */
static const char *
text_of(struct json_object *o)
{
    const char *t = reg_arena_strdup(
        &fx.arena,
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

    json_object_put(o);
    return t;
}

static void
test_history_records_and_json(void **state)
{
    struct reg_artifact m = stored(REG_TYPE_MODEL, "llama");
    char out[] = "no \"way\"\n";
    struct reg_monitor_result refused = {3, 0, false, false, out, sizeof(out) - 1};
    struct reg_monitor_result killed = {-1, 9, true, true, out, sizeof(out) - 1};
    struct reg_monitor_result passed = {0, 0, false, false, out, sizeof(out) - 1};
    struct reg_download_page page;

    (void)state;
    assert_int_equal(reg_sensitive_record(fx.store, &fx.arena, &m, "bob", true, &refused), REG_OK);
    assert_int_equal(reg_sensitive_record(fx.store, &fx.arena, &m, "eve", true, &killed), REG_OK);
    assert_int_equal(reg_sensitive_record(fx.store, &fx.arena, &m, "carol", false, &passed),
                     REG_OK);
    assert_int_equal(reg_sensitive_record(fx.store, &fx.arena, &m, "dan", false, NULL), REG_OK);
    assert_int_equal(reg_sensitive_history(fx.store, &fx.arena, &m, 0, &page), REG_OK);
    assert_int_equal(page.count, 4);
    assert_int_equal(page.next_after, 0);
    assert_string_equal(page.items[0].monitor,
                        "{\"exit_code\":3,\"signal\":null,\"timed_out\":false,"
                        "\"truncated\":false,\"output\":\"no \\\"way\\\"\\n\"}");
    assert_string_equal(page.items[1].monitor,
                        "{\"exit_code\":null,\"signal\":9,\"timed_out\":true,"
                        "\"truncated\":true,\"output\":\"no \\\"way\\\"\\n\"}");
    /* An allowed download keeps no output. */
    assert_string_equal(page.items[2].monitor,
                        "{\"exit_code\":0,\"signal\":null,\"timed_out\":false,"
                        "\"truncated\":false}");
    assert_null(page.items[3].monitor);

    page.items[3].date = 0;
    assert_string_equal(text_of(reg_download_event_json(&page.items[3])),
                        "{\"user\":\"dan\",\"date\":\"1970-01-01T00:00:00Z\",\"outcome\":"
                        "\"downloaded\",\"monitor\":null}");
    page.items[0].date = 86400;
    assert_string_equal(
        text_of(reg_download_event_json(&page.items[0])),
        "{\"user\":\"bob\",\"date\":\"1970-01-02T00:00:00Z\",\"outcome\":\"refused\",\"monitor\":"
        "{\"exit_code\":3,\"signal\":null,\"timed_out\":false,\"truncated\":false,\"output\":"
        "\"no \\\"way\\\"\\n\"}}");
}

static void
test_mark_json(void **state)
{
    struct reg_artifact m = stored(REG_TYPE_MODEL, "t5");
    struct reg_sensitive s = {"x", 0};

    (void)state;
    assert_string_equal(text_of(reg_sensitive_json(&m, &s, "alice")),
                        reg_arena_sprintf(&fx.arena,
                                          "{\"artifact\":{\"name\":\"t5\",\"id\":\"%s\",\"type\":"
                                          "\"model\"},\"sensitive\":true,\"marked_at\":"
                                          "\"1970-01-01T00:00:00Z\",\"has_program\":true,"
                                          "\"uploader\":\"alice\"}",
                                          m.id));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_only_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_program_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uploader_is_the_create_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_records_and_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mark_json, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
