/*
 * test_license.c - the license-check decision: the whole (code, model) grid against a
 * hand-written copy, the same grid reached through real license ids, every cell's reason,
 * and the normalisation of SPDX and Hugging Face ids (case, "license:" tags, SPDX suffixes,
 * NULL, empty, NOASSERTION, over-long ids).
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "core/license.h"

#define NFAM REG_LICENSE_NFAMILIES

/*
 * The expected grid, written independently of license.c: want[code][model], 'Y' allowed,
 * 'N' not. Rows and columns in enum order: permissive, weak copyleft, strong (GPL), network
 * (AGPL), use-restricted (RAI), non-commercial, no-derivatives, unknown.
 */
static const char *const want[NFAM] = {
    "YYNNYNNN", /* permissive code */
    "YYNNYNNN", /* weak-copyleft code */
    "NNNNNNNN", /* strong-copyleft code */
    "NNNNNNNN", /* network-copyleft code */
    "YYNNYNNN", /* use-restricted code */
    "NNNNNNNN", /* non-commercial code */
    "NNNNNNNN", /* no-derivatives code */
    "NNNNNNNN", /* unknown code */
};

/* One id per family: code as GitHub's spdx_id spells it, model as a Hugging Face card. */
static const char *const code_id[NFAM] = {
    [REG_LICENSE_PERMISSIVE] = "MIT",
    [REG_LICENSE_WEAK_COPYLEFT] = "LGPL-2.1",
    [REG_LICENSE_STRONG_COPYLEFT] = "GPL-3.0",
    [REG_LICENSE_NETWORK_COPYLEFT] = "AGPL-3.0",
    [REG_LICENSE_USE_RESTRICTED] = "CreativeML-OpenRAIL-M",
    [REG_LICENSE_NON_COMMERCIAL] = "CC-BY-NC-4.0",
    [REG_LICENSE_NO_DERIVATIVES] = "CC-BY-ND-4.0",
    [REG_LICENSE_UNKNOWN] = "NOASSERTION",
};
static const char *const model_id[NFAM] = {
    [REG_LICENSE_PERMISSIVE] = "apache-2.0",       [REG_LICENSE_WEAK_COPYLEFT] = "cc-by-sa-4.0",
    [REG_LICENSE_STRONG_COPYLEFT] = "gpl-3.0",     [REG_LICENSE_NETWORK_COPYLEFT] = "agpl-3.0",
    [REG_LICENSE_USE_RESTRICTED] = "llama3.1",     [REG_LICENSE_NON_COMMERCIAL] = "cc-by-nc-4.0",
    [REG_LICENSE_NO_DERIVATIVES] = "cc-by-nd-4.0", [REG_LICENSE_UNKNOWN] = "other",
};

static bool
expect_allowed(int code, int model)
{
    return want[code][model] == 'Y';
}

static void
test_grid(void **state)
{
    int bad = 0;

    (void)state;
    for (int c = 0; c < NFAM; c++) {
        assert_int_equal((int)strlen(want[c]), NFAM);
        for (int m = 0; m < NFAM; m++) {
            struct reg_license_verdict v;

            memset(&v, 0xa5, sizeof(v));
            reg_license_decide((enum reg_license_family)c, (enum reg_license_family)m, &v);
            CHECK(&bad, v.allowed == expect_allowed(c, m), "%s code + %s model: got %s",
                  reg_license_family_name((enum reg_license_family)c),
                  reg_license_family_name((enum reg_license_family)m),
                  v.allowed ? "allowed" : "not allowed");
            CHECK(&bad, (int)v.code == c && (int)v.model == m, "cell %d,%d: families %d,%d", c, m,
                  (int)v.code, (int)v.model);
        }
    }
    assert_int_equal(bad, 0);
}

/* The same grid through reg_license_check() and real ids, in both spellings of each side. */
static void
test_grid_by_id(void **state)
{
    int bad = 0;

    (void)state;
    for (int c = 0; c < NFAM; c++) {
        for (int m = 0; m < NFAM; m++) {
            struct reg_license_verdict v, swapped;

            reg_license_check(code_id[c], model_id[m], &v);
            CHECK(&bad, (int)v.code == c && (int)v.model == m, "%s + %s: families %s, %s",
                  code_id[c], model_id[m], reg_license_family_name(v.code),
                  reg_license_family_name(v.model));
            CHECK(&bad, v.allowed == expect_allowed(c, m), "%s + %s: got %s", code_id[c],
                  model_id[m], v.allowed ? "allowed" : "not allowed");
            /* Each id list holds one id per family: read the other way round, same cell. */
            reg_license_check(model_id[c], code_id[m], &swapped);
            CHECK(&bad, swapped.allowed == v.allowed && swapped.reason == v.reason,
                  "%s + %s: differs from %s + %s", model_id[c], code_id[m], code_id[c],
                  model_id[m]);
        }
    }
    assert_int_equal(bad, 0);
}

static bool
denies(int family)
{
    return family == REG_LICENSE_STRONG_COPYLEFT || family == REG_LICENSE_NETWORK_COPYLEFT ||
           family == REG_LICENSE_NON_COMMERCIAL || family == REG_LICENSE_NO_DERIVATIVES ||
           family == REG_LICENSE_UNKNOWN;
}

/* Words a reason must contain when the family is a cause of refusal (any one of two). */
static bool
names_cause(const char *reason, int family)
{
    static const char *const words[NFAM][2] = {
        [REG_LICENSE_STRONG_COPYLEFT] = {"GPL", "GPL"},
        [REG_LICENSE_NETWORK_COPYLEFT] = {"AGPL", "AGPL"},
        [REG_LICENSE_NON_COMMERCIAL] = {"commercial", "commercial"},
        [REG_LICENSE_NO_DERIVATIVES] = {"may not be shared", "forbids sharing"},
        [REG_LICENSE_UNKNOWN] = {"unknown", "no known license"},
    };

    return strstr(reason, words[family][0]) || strstr(reason, words[family][1]);
}

/* Every cell has a reason of its own: one line, non-empty, naming every cause of a refusal,
 * and naming the use restrictions to pass on where a use-restricted license is allowed. */
static void
test_reasons(void **state)
{
    const char *seen[NFAM * NFAM];
    int nseen = 0, bad = 0;

    (void)state;
    for (int c = 0; c < NFAM; c++) {
        for (int m = 0; m < NFAM; m++) {
            struct reg_license_verdict v;
            const char *r;
            bool rai = c == REG_LICENSE_USE_RESTRICTED || m == REG_LICENSE_USE_RESTRICTED;

            reg_license_decide((enum reg_license_family)c, (enum reg_license_family)m, &v);
            r = v.reason;
            assert_non_null(r);
            CHECK(&bad, r[0] != '\0', "cell %d,%d: empty reason", c, m);
            CHECK(&bad, !strchr(r, '\n'), "cell %d,%d: reason spans lines", c, m);
            CHECK(&bad, strlen(r) <= 160, "cell %d,%d: reason longer than 160", c, m);
            CHECK(&bad, !denies(c) || names_cause(r, c), "cell %d,%d: code cause missing: %s", c, m,
                  r);
            CHECK(&bad, !denies(m) || names_cause(r, m), "cell %d,%d: model cause missing: %s", c,
                  m, r);
            CHECK(&bad, !(v.allowed && rai) || strstr(r, "use restrictions"),
                  "cell %d,%d: allowed with restrictions but not said: %s", c, m, r);
            for (int i = 0; i < nseen; i++)
                CHECK(&bad, strcmp(seen[i], r) != 0, "cell %d,%d: reason repeated: %s", c, m, r);
            seen[nseen++] = r;
        }
    }
    assert_int_equal(bad, 0);
}

struct id_case {
    const char *id;
    enum reg_license_family want;
};

static void
check_ids(const struct id_case *cases, int n)
{
    int bad = 0;

    for (int i = 0; i < n; i++) {
        enum reg_license_family got = reg_license_family_of(cases[i].id);

        CHECK(&bad, got == cases[i].want, "\"%s\": got %s, want %s",
              cases[i].id ? cases[i].id : "(null)", reg_license_family_name(got),
              reg_license_family_name(cases[i].want));
    }
    assert_int_equal(bad, 0);
}

/* Every Hugging Face card id the registry expects to meet. */
static void
test_hf_ids(void **state)
{
    static const struct id_case cases[] = {
        {"apache-2.0", REG_LICENSE_PERMISSIVE},
        {"mit", REG_LICENSE_PERMISSIVE},
        {"bsd-3-clause", REG_LICENSE_PERMISSIVE},
        {"bsd-2-clause", REG_LICENSE_PERMISSIVE},
        {"cc-by-4.0", REG_LICENSE_PERMISSIVE},
        {"cc-by-3.0", REG_LICENSE_PERMISSIVE},
        {"artistic-2.0", REG_LICENSE_PERMISSIVE},
        {"bsl-1.0", REG_LICENSE_PERMISSIVE},
        {"wtfpl", REG_LICENSE_PERMISSIVE},
        {"unlicense", REG_LICENSE_PERMISSIVE},
        {"cc0-1.0", REG_LICENSE_PERMISSIVE},
        {"zlib", REG_LICENSE_PERMISSIVE},
        {"isc", REG_LICENSE_PERMISSIVE},
        {"lgpl-2.1", REG_LICENSE_WEAK_COPYLEFT},
        {"lgpl-3.0", REG_LICENSE_WEAK_COPYLEFT},
        {"lgpl-lr", REG_LICENSE_WEAK_COPYLEFT},
        {"mpl-2.0", REG_LICENSE_WEAK_COPYLEFT},
        {"epl-2.0", REG_LICENSE_WEAK_COPYLEFT},
        {"cc-by-sa-4.0", REG_LICENSE_WEAK_COPYLEFT},
        {"gpl-3.0", REG_LICENSE_STRONG_COPYLEFT},
        {"gpl-2.0", REG_LICENSE_STRONG_COPYLEFT},
        {"gpl", REG_LICENSE_STRONG_COPYLEFT},
        {"agpl-3.0", REG_LICENSE_NETWORK_COPYLEFT},
        {"openrail", REG_LICENSE_USE_RESTRICTED},
        {"openrail++", REG_LICENSE_USE_RESTRICTED},
        {"creativeml-openrail-m", REG_LICENSE_USE_RESTRICTED},
        {"bigscience-openrail-m", REG_LICENSE_USE_RESTRICTED},
        {"bigcode-openrail-m", REG_LICENSE_USE_RESTRICTED},
        {"bigscience-bloom-rail-1.0", REG_LICENSE_USE_RESTRICTED},
        {"llama2", REG_LICENSE_USE_RESTRICTED},
        {"llama3", REG_LICENSE_USE_RESTRICTED},
        {"llama3.1", REG_LICENSE_USE_RESTRICTED},
        {"llama3.2", REG_LICENSE_USE_RESTRICTED},
        {"llama3.3", REG_LICENSE_USE_RESTRICTED},
        {"llama4", REG_LICENSE_USE_RESTRICTED},
        {"gemma", REG_LICENSE_USE_RESTRICTED},
        {"cc-by-nc-4.0", REG_LICENSE_NON_COMMERCIAL},
        {"cc-by-nc-sa-4.0", REG_LICENSE_NON_COMMERCIAL},
        {"cc-by-nc-nd-4.0", REG_LICENSE_NON_COMMERCIAL},
        {"cc-by-nc-2.0", REG_LICENSE_NON_COMMERCIAL},
        {"deepfloyd-if-license", REG_LICENSE_NON_COMMERCIAL},
        {"apple-amlr", REG_LICENSE_NON_COMMERCIAL},
        {"fair-noncommercial-research-license", REG_LICENSE_NON_COMMERCIAL},
        {"cc-by-nd-4.0", REG_LICENSE_NO_DERIVATIVES},
        {"other", REG_LICENSE_UNKNOWN},
        {"unknown", REG_LICENSE_UNKNOWN},
        {"license:mit", REG_LICENSE_PERMISSIVE},
        {"license:llama3.1", REG_LICENSE_USE_RESTRICTED},
    };

    (void)state;
    check_ids(cases, NELEMS(cases));
}

/* GitHub's license.spdx_id spellings, case-insensitively. */
static void
test_spdx_ids(void **state)
{
    static const struct id_case cases[] = {
        {"MIT", REG_LICENSE_PERMISSIVE},
        {"MIT-0", REG_LICENSE_PERMISSIVE},
        {"Apache-2.0", REG_LICENSE_PERMISSIVE},
        {"APACHE-2.0", REG_LICENSE_PERMISSIVE},
        {"BSD-2-Clause", REG_LICENSE_PERMISSIVE},
        {"BSD-3-Clause", REG_LICENSE_PERMISSIVE},
        {"BSD-3-Clause-Clear", REG_LICENSE_PERMISSIVE},
        {"0BSD", REG_LICENSE_PERMISSIVE},
        {"ISC", REG_LICENSE_PERMISSIVE},
        {"Zlib", REG_LICENSE_PERMISSIVE},
        {"Unlicense", REG_LICENSE_PERMISSIVE},
        {"CC0-1.0", REG_LICENSE_PERMISSIVE},
        {"CC-BY-4.0", REG_LICENSE_PERMISSIVE},
        {"BSL-1.0", REG_LICENSE_PERMISSIVE},
        {"WTFPL", REG_LICENSE_PERMISSIVE},
        {"Artistic-2.0", REG_LICENSE_PERMISSIVE},
        {"AFL-3.0", REG_LICENSE_PERMISSIVE},
        {"ECL-2.0", REG_LICENSE_PERMISSIVE},
        {"PostgreSQL", REG_LICENSE_PERMISSIVE},
        {"NCSA", REG_LICENSE_PERMISSIVE},
        {"UPL-1.0", REG_LICENSE_PERMISSIVE},
        {"LGPL-2.1", REG_LICENSE_WEAK_COPYLEFT},
        {"LGPL-3.0", REG_LICENSE_WEAK_COPYLEFT},
        {"MPL-2.0", REG_LICENSE_WEAK_COPYLEFT},
        {"EPL-1.0", REG_LICENSE_WEAK_COPYLEFT},
        {"EPL-2.0", REG_LICENSE_WEAK_COPYLEFT},
        {"EUPL-1.2", REG_LICENSE_WEAK_COPYLEFT},
        {"CDDL-1.0", REG_LICENSE_WEAK_COPYLEFT},
        {"MS-PL", REG_LICENSE_WEAK_COPYLEFT},
        {"MS-RL", REG_LICENSE_WEAK_COPYLEFT},
        {"OFL-1.1", REG_LICENSE_WEAK_COPYLEFT},
        {"ODbL-1.0", REG_LICENSE_WEAK_COPYLEFT},
        {"CC-BY-SA-4.0", REG_LICENSE_WEAK_COPYLEFT},
        {"GPL-2.0", REG_LICENSE_STRONG_COPYLEFT},
        {"GPL-3.0", REG_LICENSE_STRONG_COPYLEFT},
        {"AGPL-3.0", REG_LICENSE_NETWORK_COPYLEFT},
        {"SSPL-1.0", REG_LICENSE_NETWORK_COPYLEFT},
        {"OSL-3.0", REG_LICENSE_NETWORK_COPYLEFT},
        {"CreativeML-OpenRAIL-M", REG_LICENSE_USE_RESTRICTED},
        {"BigScience-OpenRAIL-M", REG_LICENSE_USE_RESTRICTED},
        {"BigScience-BLOOM-RAIL-1.0", REG_LICENSE_USE_RESTRICTED},
        {"CC-BY-NC-4.0", REG_LICENSE_NON_COMMERCIAL},
        {"CC-BY-NC-SA-4.0", REG_LICENSE_NON_COMMERCIAL},
        {"CC-BY-ND-4.0", REG_LICENSE_NO_DERIVATIVES},
    };

    (void)state;
    check_ids(cases, NELEMS(cases));
}

/* SPDX "-only", "-or-later" and "+" do not change the family; whitespace is trimmed. */
static void
test_suffixes(void **state)
{
    static const struct id_case cases[] = {
        {"GPL-2.0-only", REG_LICENSE_STRONG_COPYLEFT},
        {"GPL-2.0-or-later", REG_LICENSE_STRONG_COPYLEFT},
        {"GPL-2.0+", REG_LICENSE_STRONG_COPYLEFT},
        {"GPL-3.0-only", REG_LICENSE_STRONG_COPYLEFT},
        {"gpl-3.0-or-later", REG_LICENSE_STRONG_COPYLEFT},
        {"GPL-3.0+", REG_LICENSE_STRONG_COPYLEFT},
        {"LGPL-2.1-only", REG_LICENSE_WEAK_COPYLEFT},
        {"LGPL-2.1-or-later", REG_LICENSE_WEAK_COPYLEFT},
        {"LGPL-2.1+", REG_LICENSE_WEAK_COPYLEFT},
        {"LGPL-3.0-only", REG_LICENSE_WEAK_COPYLEFT},
        {"lgpl-3.0-or-later", REG_LICENSE_WEAK_COPYLEFT},
        {"AGPL-3.0-only", REG_LICENSE_NETWORK_COPYLEFT},
        {"AGPL-3.0-or-later", REG_LICENSE_NETWORK_COPYLEFT},
        {"agpl-3.0+", REG_LICENSE_NETWORK_COPYLEFT},
        {"GFDL-1.3-or-later", REG_LICENSE_WEAK_COPYLEFT},
        {"Apache-2.0+", REG_LICENSE_PERMISSIVE},
        {"  MIT  ", REG_LICENSE_PERMISSIVE},
        {"\tapache-2.0\n", REG_LICENSE_PERMISSIVE},
        {" GPL-3.0-or-later ", REG_LICENSE_STRONG_COPYLEFT},
        {"LICENSE:GPL-3.0", REG_LICENSE_STRONG_COPYLEFT},
    };

    (void)state;
    check_ids(cases, NELEMS(cases));
}

/* No license, or none we can read: unknown, and so never allowed. */
static void
test_unknown(void **state)
{
    static const struct id_case cases[] = {
        {NULL, REG_LICENSE_UNKNOWN},          {"", REG_LICENSE_UNKNOWN},
        {"   ", REG_LICENSE_UNKNOWN},         {"NOASSERTION", REG_LICENSE_UNKNOWN},
        {"noassertion", REG_LICENSE_UNKNOWN}, {"other", REG_LICENSE_UNKNOWN},
        {"Other", REG_LICENSE_UNKNOWN},       {"UNKNOWN", REG_LICENSE_UNKNOWN},
        {"license:", REG_LICENSE_UNKNOWN},    {"license:other", REG_LICENSE_UNKNOWN},
        {"+", REG_LICENSE_UNKNOWN},           {"-only", REG_LICENSE_UNKNOWN},
        {"proprietary", REG_LICENSE_UNKNOWN}, {"some-new-license", REG_LICENSE_UNKNOWN},
        {"mitx", REG_LICENSE_UNKNOWN},
    };
    struct reg_license_verdict v;

    (void)state;
    check_ids(cases, NELEMS(cases));
    reg_license_check(NULL, NULL, &v);
    assert_false(v.allowed);
    assert_int_equal(v.code, REG_LICENSE_UNKNOWN);
    assert_int_equal(v.model, REG_LICENSE_UNKNOWN);
    reg_license_check("MIT", NULL, &v);
    assert_false(v.allowed);
    reg_license_check("NOASSERTION", "apache-2.0", &v);
    assert_false(v.allowed);
    reg_license_check("", "mit", &v);
    assert_false(v.allowed);
}

/* An id up to REG_LICENSE_ID_MAX bytes is read; a longer one is unknown, not truncated. */
static void
test_long_ids(void **state)
{
    char id[REG_LICENSE_ID_MAX + 2];

    (void)state;
    memset(id, 'x', sizeof(id));
    memcpy(id, "bsd-", 4);
    id[REG_LICENSE_ID_MAX] = '\0';
    assert_int_equal(reg_license_family_of(id), REG_LICENSE_PERMISSIVE);
    id[REG_LICENSE_ID_MAX] = 'x';
    id[REG_LICENSE_ID_MAX + 1] = '\0';
    assert_int_equal(reg_license_family_of(id), REG_LICENSE_UNKNOWN);
}

static void
test_family_names(void **state)
{
    static const char *const names[NFAM] = {
        "permissive",     "weak_copyleft",  "strong_copyleft", "network_copyleft",
        "use_restricted", "non_commercial", "no_derivatives",  "unknown",
    };
    struct reg_license_verdict v;

    (void)state;
    for (int f = 0; f < NFAM; f++)
        assert_string_equal(reg_license_family_name((enum reg_license_family)f), names[f]);
    assert_string_equal(reg_license_family_name(REG_LICENSE_NFAMILIES), "unknown");
    assert_string_equal(reg_license_family_name((enum reg_license_family) - 1), "unknown");
    reg_license_decide((enum reg_license_family)99, REG_LICENSE_PERMISSIVE, &v);
    assert_false(v.allowed);
    assert_int_equal(v.code, REG_LICENSE_UNKNOWN);
    assert_non_null(v.reason);
}

/* The cases the brief names, end to end. */
static void
test_examples(void **state)
{
    static const struct {
        const char *code, *model;
        bool allowed;
        const char *says;
    } cases[] = {
        {"MIT", "apache-2.0", true, "permissive"},
        {"Apache-2.0", "mit", true, "notices"},
        {"BSD-3-Clause", "bsd-3-clause", true, "permissive"},
        {"GPL-3.0", "mit", false, "LGPL-2.1"},
        {"GPL-2.0-or-later", "apache-2.0", false, "GPL"},
        {"AGPL-3.0", "mit", false, "network"},
        {"LGPL-2.1", "apache-2.0", true, "separately linked"},
        {"MPL-2.0", "mit", true, "file-level"},
        {"MIT", "openrail", true, "use restrictions"},
        {"Apache-2.0", "creativeml-openrail-m", true, "use restrictions"},
        {"MIT", "bigscience-openrail-m", true, "use restrictions"},
        {"MIT", "llama2", true, "use restrictions"},
        {"Apache-2.0", "llama3.1", true, "use restrictions"},
        {"LGPL-2.1", "gemma", true, "use restrictions"},
        {"GPL-3.0", "llama3.1", false, "forbids"},
        {"MIT", "cc-by-nc-4.0", false, "commercial"},
        {"MIT", "cc-by-nd-4.0", false, "adaptation"},
        {"MIT", "cc-by-sa-4.0", true, "fine-tuned weights"},
        {"MIT", "other", false, "no permission"},
        {"MIT", "unknown", false, "no permission"},
        {"NOASSERTION", "mit", false, "no permission"},
        {NULL, "apache-2.0", false, "no permission"},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_license_verdict v;

        reg_license_check(cases[i].code, cases[i].model, &v);
        CHECK(&bad, v.allowed == cases[i].allowed, "%s + %s: got %s",
              cases[i].code ? cases[i].code : "(null)", cases[i].model,
              v.allowed ? "allowed" : "not allowed");
        CHECK(&bad, strstr(v.reason, cases[i].says) != NULL, "%s + %s: \"%s\" lacks \"%s\"",
              cases[i].code ? cases[i].code : "(null)", cases[i].model, v.reason, cases[i].says);
    }
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid),         cmocka_unit_test(test_grid_by_id),
        cmocka_unit_test(test_reasons),      cmocka_unit_test(test_hf_ids),
        cmocka_unit_test(test_spdx_ids),     cmocka_unit_test(test_suffixes),
        cmocka_unit_test(test_unknown),      cmocka_unit_test(test_long_ids),
        cmocka_unit_test(test_family_names), cmocka_unit_test(test_examples),
    };
    return cmocka_run_group_tests_name("core/license", tests, NULL, NULL);
}
