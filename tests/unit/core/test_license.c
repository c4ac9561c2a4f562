/*
 * test_license.c - the license check: the pairwise verdict over every pair of families (read
 * from real ids, both ways round), the GPL-version cases that decide compatibility between
 * copyleft licenses, the product view (for an LGPL-2.1 product it is the table the registry
 * answered before pairwise became the default), reasons that name the licenses, and the
 * normalisation of SPDX and Hugging Face ids (case, "license:" tags, SPDX suffixes, NULL,
 * empty, NOASSERTION, over-long ids).
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "core/license.h"

#define NFAM REG_LICENSE_NFAMILIES

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
    [REG_LICENSE_PERMISSIVE] = "apache-2.0",       [REG_LICENSE_WEAK_COPYLEFT] = "mpl-2.0",
    [REG_LICENSE_STRONG_COPYLEFT] = "gpl-3.0",     [REG_LICENSE_NETWORK_COPYLEFT] = "agpl-3.0",
    [REG_LICENSE_USE_RESTRICTED] = "llama3.1",     [REG_LICENSE_NON_COMMERCIAL] = "cc-by-nc-4.0",
    [REG_LICENSE_NO_DERIVATIVES] = "cc-by-nd-4.0", [REG_LICENSE_UNKNOWN] = "other",
};

/*
 * Expected verdicts, written independently of license.c: [code][model], 'Y' allowed, 'N' not.
 * Rows and columns in enum order: permissive, weak copyleft, strong (GPL), network (AGPL),
 * use-restricted (RAI), non-commercial, no-derivatives, unknown.
 *
 * Pairwise: the GPL-family sides absorb permissive and weak copyleft (these ids all allow
 * GPL-3.0) but refuse the further restrictions of RAI and NC; unknown and ND refuse all.
 */
static const char *const pairwise[NFAM] = {
    "YYYYYYNN", /* permissive code */
    "YYYYYYNN", /* weak-copyleft code */
    "YYYYNNNN", /* strong-copyleft code */
    "YYYYNNNN", /* network-copyleft code */
    "YYNNYYNN", /* use-restricted code */
    "YYNNYYNN", /* non-commercial code */
    "NNNNNNNN", /* no-derivatives code */
    "NNNNNNNN", /* unknown code */
};

/* The product view for ACME's commercial LGPL-2.1 product: the registry's earlier table. */
static const char *const lgpl_product[NFAM] = {
    "YYNNYNNN", "YYNNYNNN", "NNNNNNNN", "NNNNNNNN", "YYNNYNNN", "NNNNNNNN", "NNNNNNNN", "NNNNNNNN",
};

/* Both verdicts over every pair of families, and the pairwise one the other way round. */
static void
test_family_grids(void **state)
{
    int bad = 0;

    (void)state;
    for (int c = 0; c < NFAM; c++) {
        assert_int_equal((int)strlen(pairwise[c]), NFAM);
        assert_int_equal((int)strlen(lgpl_product[c]), NFAM);
        for (int m = 0; m < NFAM; m++) {
            struct reg_license_verdict v, swapped, prod;

            memset(&v, 0xa5, sizeof(v));
            reg_license_check(code_id[c], model_id[m], &v);
            CHECK(&bad, (int)v.code == c && (int)v.model == m, "%s + %s: families %s, %s",
                  code_id[c], model_id[m], reg_license_family_name(v.code),
                  reg_license_family_name(v.model));
            CHECK(&bad, v.allowed == (pairwise[c][m] == 'Y'), "%s + %s: got %s (%s)", code_id[c],
                  model_id[m], v.allowed ? "allowed" : "not allowed", v.reason);
            reg_license_check(model_id[c], code_id[m], &swapped);
            CHECK(&bad, swapped.allowed == v.allowed, "%s + %s: differs from %s + %s", model_id[c],
                  code_id[m], code_id[c], model_id[m]);
            assert_int_equal(reg_license_check_product(code_id[c], model_id[m], "LGPL-2.1", &prod),
                             REG_OK);
            CHECK(&bad, prod.allowed == (lgpl_product[c][m] == 'Y'),
                  "LGPL-2.1 product, %s + %s: got %s (%s)", code_id[c], model_id[m],
                  prod.allowed ? "allowed" : "not allowed", prod.reason);
        }
    }
    assert_int_equal(bad, 0);
}

struct pair_case {
    const char *code, *model;
    bool allowed;
    const char *says; /* a phrase the reason must hold */
};

static void
check_pairs(const struct pair_case *cases, int n, const char *product)
{
    int bad = 0;

    for (int i = 0; i < n; i++) {
        struct reg_license_verdict v;
        const char *code = cases[i].code ? cases[i].code : "(null)";

        if (product)
            assert_int_equal(reg_license_check_product(cases[i].code, cases[i].model, product, &v),
                             REG_OK);
        else
            reg_license_check(cases[i].code, cases[i].model, &v);
        CHECK(&bad, v.allowed == cases[i].allowed, "%s + %s: got %s (%s)", code, cases[i].model,
              v.allowed ? "allowed" : "not allowed", v.reason);
        CHECK(&bad, strstr(v.reason, cases[i].says) != NULL, "%s + %s: \"%s\" lacks \"%s\"", code,
              cases[i].model, v.reason, cases[i].says);
    }
    assert_int_equal(bad, 0);
}

/* Which GPL versions each side may go under decides copyleft pairs (FSF, CC lists). */
static void
test_gpl_versions(void **state)
{
    static const struct pair_case cases[] = {
        {"Apache-2.0", "gpl-3.0", true, "distributed under GPL-3.0"},
        {"Apache-2.0", "gpl-2.0", false, "cannot be relicensed"},
        {"Apache-2.0", "gpl-2.0-only", false, "under the model's gpl-2.0-only"},
        {"Apache-2.0", "gpl-2.0-or-later", true, "under GPL-3.0"},
        {"Apache-2.0", "gpl-2.0+", true, "under GPL-3.0"},
        {"MIT", "gpl-2.0", true, "under GPL-2.0"},
        {"GPL-2.0", "mit", true, "under GPL-2.0"},
        {"GPL-2.0-or-later", "mit", true, "GPL-2.0-or-later"},
        {"GPL-2.0", "gpl-3.0", false, "cannot be relicensed"},
        {"GPL-2.0-or-later", "gpl-3.0", true, "under GPL-3.0"},
        {"GPL-3.0", "gpl-3.0-or-later", true, "GPL-3.0"},
        {"AGPL-3.0", "gpl-3.0", true, "section 13"},
        {"GPL-3.0", "agpl-3.0", true, "AGPL-3.0"},
        {"AGPL-3.0", "gpl-2.0", false, "cannot be relicensed"},
        {"LGPL-2.1", "gpl-2.0", true, "GPL-2.0"},
        {"LGPL-3.0", "gpl-2.0", false, "cannot be relicensed"},
        {"LGPL-3.0", "gpl-3.0", true, "GPL-3.0"},
        {"MPL-2.0", "gpl-2.0", true, "GPL-2.0"},
        {"EPL-1.0", "gpl-3.0", false, "cannot be relicensed"},
        {"CDDL-1.0", "gpl-2.0", false, "cannot be relicensed"},
        {"BSD-4-Clause", "gpl-3.0", false, "cannot be relicensed"},
        {"GPL-3.0", "cc-by-sa-4.0", true, "under GPL-3.0"},
        {"GPL-2.0", "cc-by-sa-4.0", false, "cannot be relicensed"},
        {"GPL-3.0", "cc-by-sa-3.0", false, "cannot be relicensed"},
        {"MIT", "cc-by-sa-4.0", true, "share-alike"},
        {"SSPL-1.0", "cc-by-sa-4.0", false, "cannot be relicensed"},
        {"SSPL-1.0", "sspl-1.0", true, "same license"},
        {"GPL-3.0", "gpl-3.0", true, "same license"},
        {"GPL-3.0", "openrail", false, "further restrictions"},
        {"MIT", "cc-by-sa-4.0", true, "distributed under cc-by-sa-4.0"},
        {"CreativeML-OpenRAIL-M", "cc-by-sa-4.0", false, "further restrictions"},
        {"GPL-3.0", "cc-by-nc-4.0", false, "non-commercial"},
    };

    (void)state;
    check_pairs(cases, NELEMS(cases), NULL);
}

/* What a compatible pair carries over, and why others are refused, both sides named. */
static void
test_pairwise_reasons(void **state)
{
    static const struct pair_case cases[] = {
        {"MIT", "apache-2.0", true, "keep both copyright and license notices"},
        {"LGPL-2.1", "apache-2.0", true, "code's own files"},
        {"MIT", "openrail", true, "pass the model's use restrictions"},
        {"MIT", "llama2", true, "use restrictions"},
        {"LGPL-2.1", "gemma", true, "use restrictions"},
        {"MIT", "cc-by-nc-4.0", true, "non-commercial use only"},
        {"CC-BY-NC-4.0", "llama3.1", true, "non-commercial use only"},
        {"MIT", "cc-by-nd-4.0", false, "forbids derivatives"},
        {"MIT", "other", false, "the model's license (other) is unknown"},
        {"NOASSERTION", "mit", false, "the code's license (NOASSERTION) is unknown"},
        {NULL, "apache-2.0", false, "the code's license (none) is unknown"},
        {"NOASSERTION", "cc-by-nd-4.0", false,
         "unknown or other: no license means no "
         "permission to use it; the model's"},
    };

    (void)state;
    check_pairs(cases, NELEMS(cases), NULL);
}

/* The product view with other product licenses, and product licenses no product can have. */
static void
test_product(void **state)
{
    static const struct pair_case gpl3[] = {
        {"GPL-3.0", "apache-2.0", true, "may ship in a commercial GPL-3.0-only product"},
        {"GPL-2.0", "mit", false, "would put the whole product under its terms, not GPL-3.0-only"},
        {"Apache-2.0", "mit", true, "GPL-3.0-only product"},
        {"MIT", "llama3.1", false, "further restrictions"},
        {"MIT", "cc-by-nc-4.0", false, "the product is commercial"},
        {"AGPL-3.0", "mit", true, "GPL-3.0-only product"},
    };
    static const struct pair_case gpl2[] = {
        {"Apache-2.0", "mit", false, "cannot be distributed under the product's GPL-2.0"},
        {"MIT", "gpl-2.0-or-later", true, "GPL-2.0 product"},
    };
    static const struct pair_case mit[] = {
        {"LGPL-2.1", "mit", true, "MIT product"},
        {"GPL-3.0", "mit", false, "not MIT"},
        {"MIT", "openrail", true, "use restrictions"},
        {"GPL-2.0", "apache-2.0", false, "cannot be relicensed"}, /* the pair itself */
    };
    struct reg_license_verdict v;

    (void)state;
    check_pairs(gpl3, NELEMS(gpl3), "GPL-3.0-only");
    check_pairs(gpl2, NELEMS(gpl2), "GPL-2.0");
    check_pairs(mit, NELEMS(mit), "MIT");
    assert_int_equal(reg_license_product_valid("LGPL-2.1"), REG_OK);
    assert_int_equal(reg_license_product_valid("Apache-2.0"), REG_OK);
    assert_int_equal(reg_license_product_valid("NOASSERTION"), REG_EINVAL);
    assert_int_equal(reg_license_product_valid(""), REG_EINVAL);
    assert_int_equal(reg_license_product_valid("cc-by-nc-4.0"), REG_EINVAL);
    assert_int_equal(reg_license_product_valid("cc-by-nd-4.0"), REG_EINVAL);
    assert_int_equal(reg_license_product_valid("openrail"), REG_EINVAL);
    assert_int_equal(reg_license_check_product("MIT", "mit", "proprietary", &v), REG_EINVAL);
}

/* Terms: the GPL versions each license may join, and ids made safe to quote. */
static void
test_terms(void **state)
{
    static const struct {
        const char *id;
        unsigned gpl;
        bool gnu;
    } cases[] = {
        {"MIT", REG_LICENSE_GPL2 | REG_LICENSE_GPL3, false},
        {"Apache-2.0", REG_LICENSE_GPL3, false},
        {"GPL-2.0", REG_LICENSE_GPL2, true},
        {"GPL-2.0-only", REG_LICENSE_GPL2, true},
        {"GPL-2.0-or-later", REG_LICENSE_GPL2 | REG_LICENSE_GPL3, true},
        {"gpl-2.0+ ", REG_LICENSE_GPL2 | REG_LICENSE_GPL3, true},
        {"GPL-3.0", REG_LICENSE_GPL3, true},
        {"gpl", REG_LICENSE_GPL2 | REG_LICENSE_GPL3, true},
        {"AGPL-3.0-or-later", REG_LICENSE_GPL3, true},
        {"LGPL-2.1-only", REG_LICENSE_GPL2 | REG_LICENSE_GPL3, false},
        {"LGPL-3.0", REG_LICENSE_GPL3, false},
        {"MPL-2.0", REG_LICENSE_GPL2 | REG_LICENSE_GPL3, false},
        {"MPL-2.0-no-copyleft-exception", 0, false},
        {"EPL-2.0", 0, false},
        {"cc-by-sa-4.0", REG_LICENSE_GPL3, false},
        {"openrail", 0, false},
    };
    struct reg_license_terms t;
    char long_id[200];
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        reg_license_terms_of(cases[i].id, &t);
        CHECK(&bad, t.gpl == cases[i].gpl && t.gnu == cases[i].gnu, "%s: gpl %u gnu %d",
              cases[i].id, t.gpl, t.gnu);
    }
    assert_int_equal(bad, 0);
    reg_license_terms_of("MIT\r\nX-Evil: \"1\"", &t);
    assert_string_equal(t.quote, "MITX-Evil: 1");
    reg_license_terms_of("   ", &t);
    assert_string_equal(t.quote, "none");
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    reg_license_terms_of(long_id, &t);
    assert_int_equal((int)strlen(t.quote), REG_LICENSE_QUOTE_MAX);
    assert_int_equal(t.family, REG_LICENSE_UNKNOWN);
}

/* Reasons are one printable line that fits, for every pair of families. */
static void
test_reason_shape(void **state)
{
    int bad = 0;

    (void)state;
    for (int c = 0; c < NFAM; c++) {
        for (int m = 0; m < NFAM; m++) {
            struct reg_license_verdict v;

            reg_license_check(code_id[c], model_id[m], &v);
            CHECK(&bad, v.reason[0] != '\0', "%s + %s: empty reason", code_id[c], model_id[m]);
            for (const char *p = v.reason; *p; p++)
                CHECK(&bad, *p >= ' ' && *p <= '~', "%s + %s: byte %d in reason", code_id[c],
                      model_id[m], *p);
            CHECK(&bad, strlen(v.reason) + 1 < sizeof(v.reason), "%s + %s: reason cut short",
                  code_id[c], model_id[m]);
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
        {"cc-by-sa-4.0", REG_LICENSE_STRONG_COPYLEFT},
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
        {"CC-BY-SA-4.0", REG_LICENSE_STRONG_COPYLEFT},
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

    (void)state;
    for (int f = 0; f < NFAM; f++)
        assert_string_equal(reg_license_family_name((enum reg_license_family)f), names[f]);
    assert_string_equal(reg_license_family_name(REG_LICENSE_NFAMILIES), "unknown");
    assert_string_equal(reg_license_family_name((enum reg_license_family) - 1), "unknown");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family_grids),
        cmocka_unit_test(test_gpl_versions),
        cmocka_unit_test(test_pairwise_reasons),
        cmocka_unit_test(test_product),
        cmocka_unit_test(test_terms),
        cmocka_unit_test(test_reason_shape),
        cmocka_unit_test(test_hf_ids),
        cmocka_unit_test(test_spdx_ids),
        cmocka_unit_test(test_suffixes),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_long_ids),
        cmocka_unit_test(test_family_names),
    };
    return cmocka_run_group_tests_name("core/license", tests, NULL, NULL);
}
