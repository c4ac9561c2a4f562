/*
 * license.c - license ids to families, and the (code family, model family) verdict table.
 *
 * The table is the whole decision: reg_license_check() only looks up the two families. The
 * assumptions behind every cell (see license.h for the grid):
 *   - The GitHub code becomes part of ACME's product as a component (fine-tuning and
 *     inference tooling) that keeps its own license; the model's fine-tuned weights ship with
 *     or are served by the product. ACME's own code is distributed under LGPL-2.1, and ACME's
 *     use is commercial.
 *   - GPL and AGPL extend to the whole combined work, so on either side they would force the
 *     product under (A)GPL; the GPL also forbids further restrictions, which use-restricted
 *     and non-commercial terms are. We treat a GPL-licensed model like GPL code: the
 *     fine-tuned weights are a modified version of it, and ACME's product depends on them.
 *   - Weak copyleft (LGPL, MPL, EPL, CC-BY-SA) binds only its own component: changes to that
 *     library, file or set of weights are shared under its license; ACME's code is not.
 *   - OpenRAIL, Llama and Gemma licenses allow fine-tuning and commercial use, but their
 *     use-based restrictions must be passed on to every downstream user and derivative.
 *   - CC "ND" permits adapting privately but not sharing the adaptation: a fine-tuned model
 *     is one, and so is code changed to fit ACME's pipeline.
 *   - No license (or one we cannot classify) grants nothing: all rights are reserved.
 * When both sides fail, the reason names both problems, the code's first.
 */
#include "core/license.h"

#include <string.h>

#include "base/license_id.h"

/* Short names for the table below only. */
#define PERM REG_LICENSE_PERMISSIVE
#define WEAK REG_LICENSE_WEAK_COPYLEFT
#define GPL REG_LICENSE_STRONG_COPYLEFT
#define AGPL REG_LICENSE_NETWORK_COPYLEFT
#define RAI REG_LICENSE_USE_RESTRICTED
#define NC REG_LICENSE_NON_COMMERCIAL
#define ND REG_LICENSE_NO_DERIVATIVES
#define UNK REG_LICENSE_UNKNOWN
#define NFAM REG_LICENSE_NFAMILIES

#define ALLOW true
#define DENY false

struct cell {
    bool allowed;
    const char *reason;
};

/* grid[code][model]. Every cell is set: the unit test checks that no reason is missing. */
static const struct cell grid[NFAM][NFAM] = {
    [PERM] =
        {
            [PERM] = {ALLOW, "permissive code and model: keep their copyright and license notices"},
            [WEAK] = {ALLOW, "weak-copyleft model: share changes to the fine-tuned weights under "
                             "its license; ACME's code stays LGPL-2.1"},
            [GPL] = {DENY, "GPL model: the fine-tuned weights are a GPL derivative that would put "
                           "ACME's product under GPL, not LGPL-2.1"},
            [AGPL] = {DENY, "AGPL model: GPL terms on ACME's product, not LGPL-2.1, plus source "
                            "offers to network users of the inference service"},
            [RAI] = {ALLOW, "use-restricted model (OpenRAIL/Llama/Gemma): fine-tuning and "
                            "commercial use allowed; pass its use restrictions on to users"},
            [NC] = {DENY, "non-commercial model: ACME's use is commercial"},
            [ND] = {DENY, "no-derivatives model: fine-tuning makes an adaptation, which may not "
                          "be shared"},
            [UNK] = {DENY, "model license unknown or other: no license means no permission to "
                           "use"},
        },
    [WEAK] =
        {
            [PERM] = {ALLOW, "weak-copyleft code kept as a separately linked or file-level "
                             "component; permissive model"},
            [WEAK] = {ALLOW, "weak copyleft on both sides: keep each a separate component and "
                             "share changes to it under its own license"},
            [GPL] = {DENY, "GPL model: the fine-tuned weights would put ACME's product under GPL, "
                           "not LGPL-2.1"},
            [AGPL] = {DENY, "AGPL model: GPL terms on ACME's product plus source offers to network "
                            "users of inference"},
            [RAI] = {ALLOW, "weak-copyleft code as a separate component; pass the model's use "
                            "restrictions on to users"},
            [NC] = {DENY, "non-commercial model: ACME's use is commercial (the weak-copyleft code "
                          "alone would be fine)"},
            [ND] = {DENY, "no-derivatives model: the fine-tuned model is an adaptation that may "
                          "not be shared"},
            [UNK] = {DENY, "model license unknown or other: no permission to use it (the "
                           "weak-copyleft code alone would be fine)"},
        },
    [GPL] =
        {
            [PERM] = {DENY, "GPL code would put ACME's whole product under GPL, which then cannot "
                            "be distributed under LGPL-2.1"},
            [WEAK] = {DENY, "GPL code would put ACME's whole product under GPL; the model's weak "
                            "copyleft does not change that"},
            [GPL] = {DENY, "GPL code and GPL model would both put ACME's product under GPL, not "
                           "LGPL-2.1"},
            [AGPL] = {DENY, "GPL code and AGPL model: the product would fall under (A)GPL with "
                            "network source offers, not LGPL-2.1"},
            [RAI] = {DENY, "GPL code would put the product under GPL, and the GPL forbids the "
                           "model's added use restrictions"},
            [NC] = {DENY, "GPL code would put the product under GPL, and the non-commercial model "
                          "excludes ACME's commercial use"},
            [ND] = {DENY, "GPL code would put the product under GPL, and the no-derivatives model "
                          "forbids sharing the fine-tuned model"},
            [UNK] = {DENY, "GPL code would put the product under GPL, and the model has no known "
                           "license granting use"},
        },
    [AGPL] =
        {
            [PERM] = {DENY, "AGPL code would put ACME's product under AGPL, not LGPL-2.1, with "
                            "source offers to network users"},
            [WEAK] = {DENY, "AGPL code would put ACME's product under AGPL, not LGPL-2.1; the "
                            "model's weak copyleft does not change that"},
            [GPL] = {DENY, "AGPL code and GPL model: the product would fall under (A)GPL, not "
                           "LGPL-2.1"},
            [AGPL] = {DENY, "AGPL code and model: the product would fall under AGPL, not LGPL-2.1, "
                            "with network source offers"},
            [RAI] = {DENY, "AGPL code would put the product under AGPL, which forbids the model's "
                           "added use restrictions"},
            [NC] = {DENY, "AGPL code would put the product under AGPL, and the non-commercial "
                          "model excludes ACME's commercial use"},
            [ND] = {DENY, "AGPL code would put the product under AGPL, and the no-derivatives "
                          "model forbids sharing the fine-tuned model"},
            [UNK] = {DENY, "AGPL code would put the product under AGPL, and the model has no known "
                           "license granting use"},
        },
    [RAI] =
        {
            [PERM] = {ALLOW, "use-restricted code as a separate component: pass its use "
                             "restrictions on to users; permissive model"},
            [WEAK] = {ALLOW, "pass the code's use restrictions on to users, and share changes to "
                             "the fine-tuned weights under the model's license"},
            [GPL] = {DENY, "GPL model: it would put ACME's product under GPL, which also forbids "
                           "the code's use restrictions"},
            [AGPL] = {DENY, "AGPL model: it would put ACME's product under AGPL, which also "
                            "forbids the code's use restrictions"},
            [RAI] = {ALLOW, "use-restricted code and model: pass both sets of use restrictions on "
                            "to users and to the fine-tuned model"},
            [NC] = {DENY, "non-commercial model: ACME's use is commercial (the code's use "
                          "restrictions alone would be acceptable)"},
            [ND] = {DENY, "no-derivatives model: the fine-tuned model may not be shared (the "
                          "code's use restrictions alone would be acceptable)"},
            [UNK] = {DENY, "model license unknown or other: no permission to use it (the code's "
                           "use restrictions alone would be acceptable)"},
        },
    [NC] =
        {
            [PERM] = {DENY, "non-commercial code: ACME's use is commercial (the permissive model "
                            "alone would be fine)"},
            [WEAK] = {DENY, "non-commercial code: ACME's use is commercial (the weak-copyleft "
                            "model alone would be fine)"},
            [GPL] = {DENY, "non-commercial code excludes ACME's commercial use, and the GPL model "
                           "would put the product under GPL"},
            [AGPL] = {DENY,
                      "non-commercial code excludes ACME's commercial use, and the AGPL model "
                      "would put the product under AGPL"},
            [RAI] = {DENY, "non-commercial code: ACME's use is commercial (the model's use "
                           "restrictions alone would be acceptable)"},
            [NC] = {DENY, "non-commercial code and model: ACME's use is commercial"},
            [ND] = {DENY, "non-commercial code excludes ACME's commercial use, and the "
                          "no-derivatives model forbids sharing the fine-tuned model"},
            [UNK] = {DENY, "non-commercial code excludes ACME's commercial use, and the model has "
                           "no known license granting use"},
        },
    [ND] =
        {
            [PERM] = {DENY, "no-derivatives code: adapting it into ACME's fine-tuning and "
                            "inference pipeline may not be shared"},
            [WEAK] = {DENY, "no-derivatives code may not be shared once adapted to ACME's pipeline "
                            "(the weak-copyleft model alone would be fine)"},
            [GPL] = {DENY, "no-derivatives code may not be shared once adapted, and the GPL model "
                           "would put the product under GPL"},
            [AGPL] = {DENY, "no-derivatives code may not be shared once adapted, and the AGPL "
                            "model would put the product under AGPL"},
            [RAI] = {DENY, "no-derivatives code may not be shared once adapted (the model's use "
                           "restrictions alone would be acceptable)"},
            [NC] = {DENY, "no-derivatives code may not be shared once adapted, and the "
                          "non-commercial model excludes ACME's commercial use"},
            [ND] = {DENY, "no-derivatives code and model: the adapted code and the fine-tuned "
                          "model may not be shared"},
            [UNK] = {DENY, "no-derivatives code may not be shared once adapted, and the model has "
                           "no known license granting use"},
        },
    [UNK] =
        {
            [PERM] = {DENY, "code license unknown or other: no license means no permission to "
                            "use it"},
            [WEAK] = {DENY, "code license unknown or other: no permission to use it (the "
                            "weak-copyleft model alone would be fine)"},
            [GPL] = {DENY, "code license unknown (no permission to use), and the GPL model would "
                           "put the product under GPL"},
            [AGPL] = {DENY, "code license unknown (no permission to use), and the AGPL model would "
                            "put the product under AGPL"},
            [RAI] = {DENY, "code license unknown or other: no permission to use it (the model's "
                           "use restrictions alone would be acceptable)"},
            [NC] = {DENY, "code license unknown (no permission to use), and the non-commercial "
                          "model excludes ACME's commercial use"},
            [ND] = {DENY, "code license unknown (no permission to use), and the no-derivatives "
                          "model forbids sharing the fine-tuned model"},
            [UNK] = {DENY, "code and model licenses unknown or other: no permission to use "
                           "either"},
        },
};

static const char *const family_names[NFAM] = {
    [PERM] = "permissive",       [WEAK] = "weak_copyleft", [GPL] = "strong_copyleft",
    [AGPL] = "network_copyleft", [RAI] = "use_restricted", [NC] = "non_commercial",
    [ND] = "no_derivatives",     [UNK] = "unknown",
};

struct id_rule {
    const char *id; /* normalised: lower case, no SPDX suffix */
    enum reg_license_match match;
    enum reg_license_family family;
};

/*
 * First match wins, so the order matters where patterns overlap: the non-commercial and
 * no-derivatives CC variants come before cc-by-sa and cc-by-, and the non-commercial words
 * before everything else. Ids not listed (NOASSERTION, other, unknown, ...) are unknown.
 */
static const struct id_rule rules[] = {
    /* non-commercial first: cc-by-nc-sa is not share-alike here, nor cc-by-nc-nd ND */
    {"cc-by-nc", REG_LICENSE_PREFIX, NC},
    {"noncommercial", REG_LICENSE_CONTAINS, NC},
    {"non-commercial", REG_LICENSE_CONTAINS, NC},
    {"research", REG_LICENSE_CONTAINS, NC},
    {"deepfloyd-if-license", REG_LICENSE_EXACT, NC},
    {"apple-amlr", REG_LICENSE_EXACT, NC},
    {"cc-by-nd", REG_LICENSE_PREFIX, ND},
    {"cc-by-sa", REG_LICENSE_PREFIX, WEAK},
    {"cc-by-", REG_LICENSE_PREFIX, PERM},
    {"cc0-", REG_LICENSE_PREFIX, PERM},
    /* copyleft ("gpl" as a prefix matches neither lgpl nor agpl) */
    {"agpl", REG_LICENSE_PREFIX, AGPL},
    {"sspl", REG_LICENSE_PREFIX, AGPL},
    {"osl-3.0", REG_LICENSE_EXACT, AGPL},
    {"lgpl", REG_LICENSE_PREFIX, WEAK},
    {"gpl", REG_LICENSE_PREFIX, GPL},
    {"mpl-", REG_LICENSE_PREFIX, WEAK},
    {"epl-", REG_LICENSE_PREFIX, WEAK},
    {"eupl-", REG_LICENSE_PREFIX, WEAK},
    {"cddl-", REG_LICENSE_PREFIX, WEAK},
    {"ms-pl", REG_LICENSE_EXACT, WEAK},
    {"ms-rl", REG_LICENSE_EXACT, WEAK},
    {"odbl", REG_LICENSE_PREFIX, WEAK},
    {"cdla-sharing-", REG_LICENSE_PREFIX, WEAK},
    {"gfdl", REG_LICENSE_PREFIX, WEAK},
    {"ofl-", REG_LICENSE_PREFIX, WEAK},
    /* responsible-AI and community model licenses */
    {"openrail", REG_LICENSE_CONTAINS, RAI},
    {"bigscience-bloom-rail-", REG_LICENSE_PREFIX, RAI},
    {"llama", REG_LICENSE_PREFIX, RAI},
    {"gemma", REG_LICENSE_EXACT, RAI},
    /* permissive */
    {"mit", REG_LICENSE_EXACT, PERM},
    {"mit-0", REG_LICENSE_EXACT, PERM},
    {"apache-2.0", REG_LICENSE_EXACT, PERM},
    {"apache-1.1", REG_LICENSE_EXACT, PERM},
    {"bsd-", REG_LICENSE_PREFIX, PERM},
    {"0bsd", REG_LICENSE_EXACT, PERM},
    {"isc", REG_LICENSE_EXACT, PERM},
    {"zlib", REG_LICENSE_EXACT, PERM},
    {"unlicense", REG_LICENSE_EXACT, PERM},
    {"wtfpl", REG_LICENSE_EXACT, PERM},
    {"bsl-1.0", REG_LICENSE_EXACT, PERM},
    {"artistic-2.0", REG_LICENSE_EXACT, PERM},
    {"afl-3.0", REG_LICENSE_EXACT, PERM},
    {"ecl-2.0", REG_LICENSE_EXACT, PERM},
    {"postgresql", REG_LICENSE_EXACT, PERM},
    {"ncsa", REG_LICENSE_EXACT, PERM},
    {"python-2.0", REG_LICENSE_EXACT, PERM},
    {"psf-2.0", REG_LICENSE_EXACT, PERM},
    {"upl-1.0", REG_LICENSE_EXACT, PERM},
    {"pddl", REG_LICENSE_EXACT, PERM},
    {"odc-by", REG_LICENSE_EXACT, PERM},
    {"cdla-permissive-", REG_LICENSE_PREFIX, PERM},
    {"openmdw-", REG_LICENSE_PREFIX, PERM},
};

enum reg_license_family
reg_license_family_of(const char *license)
{
    char id[REG_LICENSE_ID_MAX + 1];

    /* An id too long for any license is no license; the rating's table cuts it instead. */
    if (!license || strlen(license) > REG_LICENSE_ID_MAX ||
        !reg_license_id_normalise(license, id, sizeof(id)))
        return UNK;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        if (reg_license_id_matches(rules[i].match, rules[i].id, id))
            return rules[i].family;
    return UNK;
}

/* A family read from outside (a cast int, a stored value) that is out of range is unknown. */
static enum reg_license_family
valid(enum reg_license_family f)
{
    return (unsigned)f < (unsigned)NFAM ? f : UNK;
}

const char *
reg_license_family_name(enum reg_license_family f)
{
    return family_names[valid(f)];
}

void
reg_license_decide(enum reg_license_family code, enum reg_license_family model,
                   struct reg_license_verdict *out)
{
    const struct cell *c;

    out->code = valid(code);
    out->model = valid(model);
    c = &grid[out->code][out->model];
    out->allowed = c->allowed;
    out->reason = c->reason;
}

void
reg_license_check(const char *code_spdx, const char *model_license, struct reg_license_verdict *out)
{
    reg_license_decide(reg_license_family_of(code_spdx), reg_license_family_of(model_license), out);
}
