/*
 * semver.h - versions (Semantic Versioning 2.0.0) and the four range forms the enumerate query
 * takes, with npm semver's definitions (node-semver 7, without includePrerelease).
 *
 * A version is MAJOR.MINOR.PATCH with an optional leading "v", an optional -prerelease and an
 * optional +build (ignored in comparisons, as semver 2.0.0 says). Hugging Face repositories
 * are versioned by git tags written "vX" or "X", so reg_semver_parse also takes "X" and "X.Y"
 * as X.0.0 and X.Y.0 (not with a prerelease: "1-rc" is not a version).
 *
 * Ranges (reg_semver_range_parse), each a set of at most two comparators:
 *   exact    "1.2.3", "=1.2.3", "v1.2.3-rc.1"   := =1.2.3 (with its prerelease)
 *            partial: "1.2" := >=1.2.0 <1.3.0-0, "1" := >=1.0.0 <2.0.0-0 (npm's X-ranges;
 *            "1.2.x", "1.*" and "*" likewise)
 *   bounded  "1.2.3 - 2.3.4" (npm's hyphen range, both ends inclusive) := >=1.2.3 <=2.3.4
 *            a partial lower end is filled with zeros ("1.2 - 2.3.4" := >=1.2.0 <=2.3.4); a
 *            partial upper end takes everything it names ("1.2.3 - 2.3" := >=1.2.3 <2.4.0-0)
 *   tilde    "~1.2.3" := >=1.2.3 <1.3.0-0, "~1.2" := >=1.2.0 <1.3.0-0, "~1" := >=1.0.0 <2.0.0-0
 *   caret    "^1.2.3" := >=1.2.3 <2.0.0-0, "^0.2.3" := >=0.2.3 <0.3.0-0,
 *            "^0.0.3" := >=0.0.3 <0.0.4-0, "^1.2" := >=1.2.0 <2.0.0-0,
 *            "^0.0" := >=0.0.0 <0.1.0-0, "^1" := >=1.0.0 <2.0.0-0, "^0" := >=0.0.0 <1.0.0-0
 * The "-0" of an upper bound is npm's: it keeps the prereleases of that bound out.
 *
 * The hyphen's two meanings. The course writes the bounded range "1.2.3-2.1.0", without npm's
 * spaces, and "-" also starts a prerelease ("1.2.3-alpha"). The rule here: text holding " - "
 * is a bounded range (npm's own spelling; either end may be partial); otherwise a "-" is read
 * as the bound separator when the text before it is a version (full, partial or with a
 * prerelease) and the text after it is a full MAJOR.MINOR.PATCH version; the first such "-"
 * from the left is taken. So "1.2.3-2.1.0" is the range 1.2.3 to 2.1.0, "1.2.3-alpha" and
 * "1.0.0-rc.1" are exact prereleases, and "1.2.3-alpha-2.0.0" is the range from 1.2.3-alpha
 * to 2.0.0. A prerelease that itself looks like a version ("1.0.0-2.0.0") is asked for with a
 * leading "=": "=1.0.0-2.0.0" is always one exact version.
 *
 * Prereleases, as npm: a version with a prerelease satisfies a range only when it is within
 * its bounds and some comparator of the range has a prerelease on the same MAJOR.MINOR.PATCH
 * (">=1.2.3-alpha <1.3.0-0" takes 1.2.3-beta but not 1.2.4-beta). Precedence of prereleases is
 * semver 2.0.0's: identifiers left to right, numeric ones numerically and below alphanumeric
 * ones, which compare in ASCII order; a shorter list of equal identifiers is lower.
 *
 * Errors: every parse returns REG_EINVAL with a detail naming what is wrong.
 *
 * Ownership: the structs are plain values (the prerelease is copied in); nothing is allocated.
 */
#ifndef REG_CORE_SEMVER_H
#define REG_CORE_SEMVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "base/status.h"

/* Longest prerelease kept (bytes); a longer one is refused. */
#define REG_SEMVER_PRE_MAX 64
/* Longest version or range text accepted (bytes). */
#define REG_SEMVER_TEXT_MAX REG_VERSION_TEXT_MAX
/* Largest number in a version (npm's: JavaScript's largest safe integer). */
#define REG_SEMVER_NUM_MAX 9007199254740991ULL

struct reg_semver {
    uint64_t major, minor, patch;
    char pre[REG_SEMVER_PRE_MAX + 1]; /* the prerelease without its "-"; "" when none */
};

enum reg_semver_op { REG_SEMVER_EQ, REG_SEMVER_GE, REG_SEMVER_GT, REG_SEMVER_LT, REG_SEMVER_LE };

struct reg_semver_comparator {
    enum reg_semver_op op;
    struct reg_semver v;
};

/* A set of comparators that must all hold; none ("*") matches every release version. */
struct reg_semver_range {
    struct reg_semver_comparator c[2];
    int n;
};

/* Parses a version ("1.2.3", "v1.2.3-rc.1+build.5", "v1" = 1.0.0, "2.1" = 2.1.0). */
enum reg_status reg_semver_parse(const char *text, struct reg_semver *out);

/* <0, 0 or >0 as a precedes, equals or follows b (semver 2.0.0 precedence; build ignored). */
int reg_semver_compare(const struct reg_semver *a, const struct reg_semver *b);

/* Parses one of the range forms above. */
enum reg_status reg_semver_range_parse(const char *text, struct reg_semver_range *out);

/* Whether v satisfies r (with npm's prerelease rule). */
bool reg_semver_satisfies(const struct reg_semver_range *r, const struct reg_semver *v);

/* Writes v as "MAJOR.MINOR.PATCH[-pre]" into buf (size bytes, at least 64 + REG_SEMVER_PRE_MAX
 * to hold any version); returns buf. */
char *reg_semver_format(const struct reg_semver *v, char *buf, size_t size);

#endif
