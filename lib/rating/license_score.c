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

#define LICENSE_ID_MAX 128

enum match { EXACT, PREFIX, CONTAINS };

struct compat {
    const char *id; /* normalised */
    enum match match;
    double score;
};

/* Order matters where patterns overlap: cc-by-nc* before cc-by-*, lgpl-lr before lgpl-*. */
static const struct compat table[] = {
    {"mit", EXACT, 1.0},
    {"mit-0", EXACT, 1.0},
    {"apache-2.0", EXACT, 1.0},
    {"ecl-2.0", EXACT, 1.0},
    {"bsd-", PREFIX, 1.0},
    {"bsd", EXACT, 1.0},
    {"0bsd", EXACT, 1.0},
    {"isc", EXACT, 1.0},
    {"zlib", EXACT, 1.0},
    {"unlicense", EXACT, 1.0},
    {"cc0-", PREFIX, 1.0},
    {"wtfpl", EXACT, 1.0},
    {"bsl-1.0", EXACT, 1.0},
    {"afl-3.0", EXACT, 1.0},
    {"artistic-2.0", EXACT, 1.0},
    {"postgresql", EXACT, 1.0},
    {"ncsa", EXACT, 1.0},
    {"python-2.0", EXACT, 1.0},
    {"psf-2.0", EXACT, 1.0},
    {"upl-1.0", EXACT, 1.0},
    {"pddl", EXACT, 1.0},
    {"odc-by", EXACT, 1.0},
    {"cdla-permissive-", PREFIX, 1.0},
    {"cc-by-nc", PREFIX, 0.0},
    {"cc-by-nd", PREFIX, 0.0},
    {"cc-by-sa", PREFIX, 0.6},
    {"cc-by-", PREFIX, 1.0},
    {"lgpl-lr", EXACT, 0.9},
    {"lgpl-2", PREFIX, 1.0},
    {"lgpl-3", PREFIX, 0.8},
    {"ofl-1.1", EXACT, 0.9},
    {"mpl-2.0", EXACT, 0.8},
    {"mpl-1", PREFIX, 0.3},
    {"openrail", CONTAINS, 0.7},
    {"bigscience-bloom-rail-", PREFIX, 0.7},
    {"gemma", EXACT, 0.7},
    {"cdla-sharing-", PREFIX, 0.6},
    {"odbl", EXACT, 0.6},
    {"epl-2.0", EXACT, 0.6},
    {"epl-1.0", EXACT, 0.3},
    {"eupl-1.2", EXACT, 0.6},
    {"eupl-1.1", EXACT, 0.5},
    {"ms-pl", EXACT, 0.6},
    {"llama", PREFIX, 0.6},
    {"gfdl", PREFIX, 0.5},
    {"apple-ascl", EXACT, 0.5},
    {"cddl-", PREFIX, 0.3},
    {"osl-3.0", EXACT, 0.3},
    {"c-uda", EXACT, 0.3},
    {"gpl-2", PREFIX, 0.2},
    {"gpl-3", PREFIX, 0.1},
    {"gpl", EXACT, 0.1},
    {"agpl", PREFIX, 0.0},
    {"sspl", PREFIX, 0.0},
    {"deepfloyd-if-license", EXACT, 0.0},
    {"apple-amlr", EXACT, 0.0},
    {"noncommercial", CONTAINS, 0.0},
    {"non-commercial", CONTAINS, 0.0},
    {"research", CONTAINS, 0.0},
    {"unknown", EXACT, 0.0},
    {"other", EXACT, 0.3},
};

#define UNLISTED 0.3

static bool
ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* The id lower-cased, without prefix and suffix, into out (an id longer than LICENSE_ID_MAX
 * is cut there: no listed id is that long); false when nothing is left. */
static bool
normalise(const char *id, char out[LICENSE_ID_MAX + 1])
{
    static const char *const suffixes[] = {"-only", "-or-later", "+"};
    size_t len = 0;

    while (*id == ' ' || *id == '\t')
        id++;
    if (strncmp(id, "license:", 8) == 0 || strncmp(id, "LICENSE:", 8) == 0)
        id += 8;
    for (; id[len] && len < LICENSE_ID_MAX; len++) {
        out[len] = id[len];
        if (id[len] >= 'A' && id[len] <= 'Z')
            out[len] = (char)(id[len] - 'A' + 'a');
    }
    while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (ends_with(out, len, suffixes[i]))
            len -= strlen(suffixes[i]);
    out[len] = '\0';
    return len > 0;
}

static bool
matches(const struct compat *c, const char *id)
{
    switch (c->match) {
    case PREFIX:
        return strncmp(c->id, id, strlen(c->id)) == 0;
    case CONTAINS:
        return strstr(id, c->id) != NULL;
    case EXACT:
        break;
    }
    return strcmp(c->id, id) == 0;
}

double
reg_rating_license_compat(const char *license)
{
    char id[LICENSE_ID_MAX + 1];

    if (!license || !normalise(license, id))
        return 0.0;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (matches(&table[i], id))
            return table[i].score;
    return UNLISTED;
}

double
reg_rating_license_score(const struct reg_model_signals *s)
{
    return reg_rating_clamp(reg_rating_license_compat(s->license));
}
