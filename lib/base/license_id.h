/*
 * license_id.h - reading a license identifier as model cards, Hugging Face tags and GitHub
 * write it ("Apache-2.0", "license:mit", "GPL-3.0-or-later"), and matching it against a
 * table's patterns. Shared by the rating's license score (rating/license_score.c) and the
 * license check's families (core/license.c), which keep their own tables.
 */
#ifndef REG_BASE_LICENSE_ID_H
#define REG_BASE_LICENSE_ID_H

#include <stdbool.h>
#include <stddef.h>

/* How a table's pattern matches a normalised id. */
enum reg_license_match { REG_LICENSE_EXACT, REG_LICENSE_PREFIX, REG_LICENSE_CONTAINS };

/*
 * id trimmed of blanks and lower-cased, without a "license:" tag prefix and without one SPDX
 * suffix ("-only", "-or-later", "+"), into out (cap bytes with the terminator; a longer id is
 * cut there). False when nothing is left.
 */
bool reg_license_id_normalise(const char *id, char *out, size_t cap);

/* Whether normalised id matches pattern the way match says. */
bool reg_license_id_matches(enum reg_license_match match, const char *pattern, const char *id);

#endif
