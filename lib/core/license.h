/*
 * license.h - license compatibility for POST /artifact/model/{id}/license-check: may the code
 * of a GitHub repository be used together with a Hugging Face model by ACME, to fine-tune the
 * model and run inference/generation with it, inside ACME's own product, which ACME
 * distributes commercially under LGPL-2.1?
 *
 * Each side's license is reduced to a family (reg_license_family_of: case-insensitive, SPDX
 * ids as GitHub's license.spdx_id gives them and Hugging Face card ids alike, "-only",
 * "-or-later" and "+" ignored), and the verdict is one cell of a fixed table over (code
 * family, model family), after the reasoning of ModelGo (Duan et al., "ModelGo: A Practical
 * Tool for Machine Learning License Analysis", WWW 2024):
 *
 *                          model (Hugging Face card)
 *   code (GitHub)     perm  weak  gpl   agpl  rai   nc    nd    unk
 *   permissive        yes   yes   no    no    yes*  no    no    no
 *   weak copyleft     yes   yes   no    no    yes*  no    no    no
 *   strong copyleft   no    no    no    no    no    no    no    no
 *   network copyleft  no    no    no    no    no    no    no    no
 *   use-restricted    yes*  yes*  no    no    yes*  no    no    no
 *   non-commercial    no    no    no    no    no    no    no    no
 *   no-derivatives    no    no    no    no    no    no    no    no
 *   unknown/other     no    no    no    no    no    no    no    no
 *
 *   yes* = allowed, with the use restrictions (OpenRAIL, Llama, Gemma) passed on to ACME's
 *   users and to the fine-tuned model.
 *
 * Why, in short: GPL or AGPL on either side would put ACME's combined product under (A)GPL,
 * which ACME cannot then distribute under LGPL-2.1 (and the AGPL adds source offers to
 * network users of the inference service); weak copyleft stays with its own component
 * (linked library, file, or the fine-tuned weights); non-commercial terms exclude ACME's
 * commercial use; no-derivatives terms forbid sharing the fine-tuned (adapted) model or the
 * adapted code; and without a known license there is no permission to use at all. Each cell
 * carries a one-line reason (license.c) that the API returns.
 *
 * Ownership: nothing is allocated; every returned string is static.
 */
#ifndef REG_CORE_LICENSE_H
#define REG_CORE_LICENSE_H

#include <stdbool.h>

/* Longest license id read (bytes); a longer one is unknown: no listed id comes close. */
#define REG_LICENSE_ID_MAX 128

/* The families, in the table's row and column order. */
enum reg_license_family {
    REG_LICENSE_PERMISSIVE,       /* MIT, Apache-2.0, BSD-*, ISC, Zlib, CC0, CC-BY, BSL-1.0 */
    REG_LICENSE_WEAK_COPYLEFT,    /* LGPL-*, MPL-*, EPL-*, CC-BY-SA (share-alike content) */
    REG_LICENSE_STRONG_COPYLEFT,  /* GPL-* */
    REG_LICENSE_NETWORK_COPYLEFT, /* AGPL-*, SSPL, OSL-3.0 */
    REG_LICENSE_USE_RESTRICTED,   /* OpenRAIL variants, Llama and Gemma community licenses */
    REG_LICENSE_NON_COMMERCIAL,   /* CC-BY-NC-*, research-only and non-commercial licenses */
    REG_LICENSE_NO_DERIVATIVES,   /* CC-BY-ND-* */
    REG_LICENSE_UNKNOWN,          /* NULL, empty, NOASSERTION, other, unknown, unlisted */
    REG_LICENSE_NFAMILIES
};

struct reg_license_verdict {
    bool allowed;
    const char *reason; /* one line, static, never NULL or empty */
    enum reg_license_family code, model;
};

/* The family of a license id ("MIT", "GPL-3.0-or-later", "llama3.1", "license:mit"); NULL,
 * empty and unlisted ids are REG_LICENSE_UNKNOWN. */
enum reg_license_family reg_license_family_of(const char *license);

/* "permissive", "weak_copyleft", "strong_copyleft", "network_copyleft", "use_restricted",
 * "non_commercial", "no_derivatives", "unknown"; a value out of range is "unknown". */
const char *reg_license_family_name(enum reg_license_family f);

/* The table's cell for (code, model); a family out of range counts as unknown. */
void reg_license_decide(enum reg_license_family code, enum reg_license_family model,
                        struct reg_license_verdict *out);

/* The verdict for a repository's SPDX id (GitHub's license.spdx_id, may be NULL) and a
 * model card's license (may be NULL). */
void reg_license_check(const char *code_spdx, const char *model_license,
                       struct reg_license_verdict *out);

#endif
