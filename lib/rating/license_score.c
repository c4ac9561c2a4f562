/*
 * license_score.c - can ACME use the model (fine-tune + inference) in its product, which is
 * licensed LGPL-2.1?
 *
 * Reads: license (cardData.license, else the "license:" tag).
 *
 *   license = compat(license)                                              range [0, 1]
 *
 * compat() looks the id up in the table below after normalising it: lower case, without a
 * "license:" prefix and without an SPDX "-only" / "-or-later" / "+" suffix. Entries match
 * the whole id, its start when written "x*", or any part of it when written "*x*"; the first
 * match wins.
 *
 *   1.0  permissive, or LGPL-2.x itself: mit, mit-0, apache-2.0, ecl-2.0, bsd-*, 0bsd, isc,
 *        zlib, unlicense, cc0-*, wtfpl, bsl-1.0, afl-3.0, artistic-2.0, postgresql, ncsa,
 *        python-2.0, psf-2.0, upl-1.0, pddl, odc-by, cdla-permissive-*, cc-by-<version>,
 *        lgpl-2.* (Apache-2.0 counts as compatible: the weights are data the LGPL program
 *        loads, not code linked into it, which is also how the course sample rates it)
 *   0.9  lgpl-lr, ofl-1.1: LGPL-style terms for linguistic resources and fonts
 *   0.8  weak copyleft the product can comply with: lgpl-3.* (only with LGPL-2.1-or-later),
 *        mpl-2.0 (file-level copyleft, GPL-compatible through its secondary-licence clause)
 *   0.7  open responsible-AI licences that allow commercial use with use restrictions that
 *        pass on to derivatives: *openrail*, bigscience-bloom-rail-*, gemma
 *   0.6  share-alike or conditional terms: cc-by-sa-*, cdla-sharing-*, odbl, epl-2.0,
 *        eupl-1.2, ms-pl, llama* (community licences with usage thresholds)
 *   0.5  eupl-1.1, gfdl*, apple-ascl
 *   0.3  licences incompatible with LGPL-2.1 but not forbidding the use: mpl-1.*, epl-1.0,
 *        cddl-*, osl-3.0, c-uda; "other" and any id not in the table (stated, not analysed)
 *   0.2  gpl-2.*: the product would have to become GPL-2
 *   0.1  gpl-3.*, gpl: the product would have to become GPL-3
 *   0.0  agpl-*, sspl-*, non-commercial or no-derivatives terms (cc-by-nc*, cc-by-nd*,
 *        deepfloyd-if-license, apple-amlr, and any id containing "noncommercial",
 *        "non-commercial" or "research", as in intel-research), "unknown", and no licence
 *
 * Calibrated on the course sample: apache-2.0 (bert, whisper) 1.00, no licence (audience) 0.00.
 */
#include <string.h>

#include "rating/rating.h"

#include "base/license_id.h"

#define LICENSE_ID_MAX 128

struct compat {
    const char *id; /* normalised */
    enum reg_license_match match;
    double score;
};

/* Order matters where patterns overlap: cc-by-nc* before cc-by-*, lgpl-lr before lgpl-*. */
static const struct compat table[] = {
    {"mit", REG_LICENSE_EXACT, 1.0},
    {"mit-0", REG_LICENSE_EXACT, 1.0},
    {"apache-2.0", REG_LICENSE_EXACT, 1.0},
    {"ecl-2.0", REG_LICENSE_EXACT, 1.0},
    {"bsd-", REG_LICENSE_PREFIX, 1.0},
    {"bsd", REG_LICENSE_EXACT, 1.0},
    {"0bsd", REG_LICENSE_EXACT, 1.0},
    {"isc", REG_LICENSE_EXACT, 1.0},
    {"zlib", REG_LICENSE_EXACT, 1.0},
    {"unlicense", REG_LICENSE_EXACT, 1.0},
    {"cc0-", REG_LICENSE_PREFIX, 1.0},
    {"wtfpl", REG_LICENSE_EXACT, 1.0},
    {"bsl-1.0", REG_LICENSE_EXACT, 1.0},
    {"afl-3.0", REG_LICENSE_EXACT, 1.0},
    {"artistic-2.0", REG_LICENSE_EXACT, 1.0},
    {"postgresql", REG_LICENSE_EXACT, 1.0},
    {"ncsa", REG_LICENSE_EXACT, 1.0},
    {"python-2.0", REG_LICENSE_EXACT, 1.0},
    {"psf-2.0", REG_LICENSE_EXACT, 1.0},
    {"upl-1.0", REG_LICENSE_EXACT, 1.0},
    {"pddl", REG_LICENSE_EXACT, 1.0},
    {"odc-by", REG_LICENSE_EXACT, 1.0},
    {"cdla-permissive-", REG_LICENSE_PREFIX, 1.0},
    {"cc-by-nc", REG_LICENSE_PREFIX, 0.0},
    {"cc-by-nd", REG_LICENSE_PREFIX, 0.0},
    {"cc-by-sa", REG_LICENSE_PREFIX, 0.6},
    {"cc-by-", REG_LICENSE_PREFIX, 1.0},
    {"lgpl-lr", REG_LICENSE_EXACT, 0.9},
    {"lgpl-2", REG_LICENSE_PREFIX, 1.0},
    {"lgpl-3", REG_LICENSE_PREFIX, 0.8},
    {"ofl-1.1", REG_LICENSE_EXACT, 0.9},
    {"mpl-2.0", REG_LICENSE_EXACT, 0.8},
    {"mpl-1", REG_LICENSE_PREFIX, 0.3},
    {"openrail", REG_LICENSE_CONTAINS, 0.7},
    {"bigscience-bloom-rail-", REG_LICENSE_PREFIX, 0.7},
    {"gemma", REG_LICENSE_EXACT, 0.7},
    {"cdla-sharing-", REG_LICENSE_PREFIX, 0.6},
    {"odbl", REG_LICENSE_EXACT, 0.6},
    {"epl-2.0", REG_LICENSE_EXACT, 0.6},
    {"epl-1.0", REG_LICENSE_EXACT, 0.3},
    {"eupl-1.2", REG_LICENSE_EXACT, 0.6},
    {"eupl-1.1", REG_LICENSE_EXACT, 0.5},
    {"ms-pl", REG_LICENSE_EXACT, 0.6},
    {"llama", REG_LICENSE_PREFIX, 0.6},
    {"gfdl", REG_LICENSE_PREFIX, 0.5},
    {"apple-ascl", REG_LICENSE_EXACT, 0.5},
    {"cddl-", REG_LICENSE_PREFIX, 0.3},
    {"osl-3.0", REG_LICENSE_EXACT, 0.3},
    {"c-uda", REG_LICENSE_EXACT, 0.3},
    {"gpl-2", REG_LICENSE_PREFIX, 0.2},
    {"gpl-3", REG_LICENSE_PREFIX, 0.1},
    {"gpl", REG_LICENSE_EXACT, 0.1},
    {"agpl", REG_LICENSE_PREFIX, 0.0},
    {"sspl", REG_LICENSE_PREFIX, 0.0},
    {"deepfloyd-if-license", REG_LICENSE_EXACT, 0.0},
    {"apple-amlr", REG_LICENSE_EXACT, 0.0},
    {"noncommercial", REG_LICENSE_CONTAINS, 0.0},
    {"non-commercial", REG_LICENSE_CONTAINS, 0.0},
    {"research", REG_LICENSE_CONTAINS, 0.0},
    {"unknown", REG_LICENSE_EXACT, 0.0},
    {"other", REG_LICENSE_EXACT, 0.3},
};

#define UNLISTED 0.3

double
reg_rating_license_compat(const char *license)
{
    char id[LICENSE_ID_MAX + 1];

    if (!license || !reg_license_id_normalise(license, id, sizeof(id)))
        return 0.0;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (reg_license_id_matches(table[i].match, table[i].id, id))
            return table[i].score;
    return UNLISTED;
}

double
reg_rating_license_score(const struct reg_model_signals *s)
{
    return reg_rating_clamp(reg_rating_license_compat(s->license));
}
