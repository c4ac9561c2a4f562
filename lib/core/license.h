/*
 * license.h - license compatibility for POST /artifact/model/{id}/license-check: is a GitHub
 * repository's license compatible with a model's license for fine-tune + inference/generation,
 * that is, may the two be combined in one derived work? Optionally (the product view), may that
 * work also ship inside a commercial product under a named license, such as ACME's LGPL-2.1?
 *
 * Each side's license id (GitHub's license.spdx_id, a Hugging Face card's license) is read into
 * terms (reg_license_terms_of): a family, and the versions of the GNU GPL that a work under it
 * may be combined into. The pairwise verdict, after the reasoning of ModelGo (Duan et al.,
 * "ModelGo: A Practical Tool for Machine Learning License Analysis", WWW 2024) and the FSF's and
 * Creative Commons' compatibility lists:
 *
 *   - No license (or one we cannot classify) grants nothing; a no-derivatives license forbids
 *     the adaptation that fine-tuning and combining make. Either refuses.
 *   - Copyleft over the whole work (GPL, AGPL, CC-BY-SA, SSPL, OSL: "share-alike") puts the
 *     combination under one license, so the other side must be relicensable into it: a GPL
 *     joins only what may go under one of its versions (Apache-2.0 and LGPL-3.0 join GPL-3.0
 *     but not GPL-2.0-only; GPL-2.0-or-later and GPL-3.0 combine under GPL-3.0; GPL-3.0 §13
 *     lets GPL-3.0 and AGPL-3.0 parts combine), and it forbids further restrictions, which
 *     use-restricted (OpenRAIL, Llama, Gemma) and non-commercial terms are.
 *   - Otherwise (permissive, weak copyleft, use-restricted, non-commercial) the parts combine;
 *     the reason says what carries over (non-commercial use only, use restrictions, changes to
 *     a weak-copyleft part shared under its license).
 *
 * The product view adds that each side must be distributable inside a commercial product
 * under the product's license: nothing non-commercial, no share-alike side unless the product
 * is under a license it accepts (GPL code refuses an LGPL-2.1 product), and no side the
 * product's own copyleft could not take. For an LGPL-2.1 product this is the table the
 * registry answered before pairwise compatibility became the default (README).
 *
 * Ownership: nothing is allocated; verdicts and terms are filled in caller-owned structs.
 */
#ifndef REG_CORE_LICENSE_H
#define REG_CORE_LICENSE_H

#include <stdbool.h>

#include "base/status.h"

/* Longest license id read (bytes); a longer one is unknown: no listed id comes close. */
#define REG_LICENSE_ID_MAX 128
/* Longest license id quoted in a reason (bytes). */
#define REG_LICENSE_QUOTE_MAX 48
/* Room for a verdict's reason, terminator included. */
#define REG_LICENSE_REASON_MAX 512

/* The families. */
enum reg_license_family {
    REG_LICENSE_PERMISSIVE,       /* MIT, Apache-2.0, BSD-*, ISC, Zlib, CC0, CC-BY, BSL-1.0 */
    REG_LICENSE_WEAK_COPYLEFT,    /* LGPL-*, MPL-*, EPL-*: binds its own component only */
    REG_LICENSE_STRONG_COPYLEFT,  /* GPL-*, CC-BY-SA-*: share-alike over the whole work */
    REG_LICENSE_NETWORK_COPYLEFT, /* AGPL-*, SSPL, OSL-3.0: share-alike plus network terms */
    REG_LICENSE_USE_RESTRICTED,   /* OpenRAIL variants, Llama and Gemma community licenses */
    REG_LICENSE_NON_COMMERCIAL,   /* CC-BY-NC-*, research-only and non-commercial licenses */
    REG_LICENSE_NO_DERIVATIVES,   /* CC-BY-ND-* */
    REG_LICENSE_UNKNOWN,          /* NULL, empty, NOASSERTION, other, unknown, unlisted */
    REG_LICENSE_NFAMILIES
};

/* Versions of the GNU GPL a work may be combined into (reg_license_terms.gpl). */
#define REG_LICENSE_GPL2 1u
#define REG_LICENSE_GPL3 2u

/* One license as the check reads it. */
struct reg_license_terms {
    enum reg_license_family family;
    unsigned gpl; /* REG_LICENSE_GPL* bits; GPL-2.0 alone means "only", as SPDX reads it */
    bool gnu;     /* the license is itself a GNU GPL or AGPL (it can absorb by version) */
    char norm[REG_LICENSE_ID_MAX + 1];     /* normalised id (license_id.h), "" if none */
    char quote[REG_LICENSE_QUOTE_MAX + 1]; /* the id as written, safe to quote; "none" */
};

struct reg_license_verdict {
    bool allowed;
    char reason[REG_LICENSE_REASON_MAX]; /* one line, never empty, no control characters */
    enum reg_license_family code, model;
};

/* The terms of a license id ("MIT", "GPL-2.0-or-later", "llama3.1", "license:mit"); NULL,
 * empty and unlisted ids are REG_LICENSE_UNKNOWN. */
void reg_license_terms_of(const char *license, struct reg_license_terms *out);

/* The family of a license id (reg_license_terms_of's family). */
enum reg_license_family reg_license_family_of(const char *license);

/* "permissive", "weak_copyleft", "strong_copyleft", "network_copyleft", "use_restricted",
 * "non_commercial", "no_derivatives", "unknown"; a value out of range is "unknown". */
const char *reg_license_family_name(enum reg_license_family f);

/* Pairwise: may code under code_spdx (GitHub's license.spdx_id, may be NULL) and a model under
 * model_license (its card's license, may be NULL) be combined in one derived work? */
void reg_license_check(const char *code_spdx, const char *model_license,
                       struct reg_license_verdict *out);

/* REG_EINVAL, with a detail, unless product_license is a license a commercial product can be
 * under: known, and not non-commercial, no-derivatives or use-restricted. */
enum reg_status reg_license_product_valid(const char *product_license);

/* The product view: the pairwise verdict, and may that work ship inside a commercial product
 * licensed product_license? REG_EINVAL when product_license is not a license a commercial
 * product can be under (unknown, non-commercial, no-derivatives or use-restricted). */
enum reg_status reg_license_check_product(const char *code_spdx, const char *model_license,
                                          const char *product_license,
                                          struct reg_license_verdict *out);

#endif
