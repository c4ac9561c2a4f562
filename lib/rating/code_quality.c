/*
 * code_quality.c - how well engineered the linked GitHub repository is.
 *
 * Reads: code (readme, license_spdx, files, stars); 0 when no repository was fetched.
 *
 *   code_quality = 0.25 D + 0.15 L + 0.20 T + 0.15 P + 0.10 C + 0.15 S     range [0, 1]
 *
 *   D  documentation: clamp(words / 800) of the README's prose
 *   L  licence: 1 when GitHub detected one (license.spdx_id other than NOASSERTION)
 *   T  tests: a file under a test/ or tests/ directory, or named test_*, *_test.*, *.test.*,
 *      *.spec.*
 *   P  packaging: a dependency or build manifest (requirements*.txt, pyproject.toml, setup.py,
 *      setup.cfg, environment.yml, Pipfile, package.json, Cargo.toml, go.mod, CMakeLists.txt,
 *      Makefile, pom.xml, build.gradle)
 *   C  continuous integration or linting: .github/workflows/, .travis.yml, .gitlab-ci.yml,
 *      .circleci/, azure-pipelines.yml, .pre-commit-config.yaml, tox.ini, noxfile.py, .flake8
 *   S  standing: clamp(log10(1 + stars) / 5): 100,000 stars count 1
 */
#include <string.h>

#include "rating/rating.h"

#define DOC_WORDS 800.0

static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

static bool
is_test(const char *path)
{
    const char *base = base_name(path);

    return strncmp(path, "test/", 5) == 0 || strncmp(path, "tests/", 6) == 0 ||
           strstr(path, "/test/") || strstr(path, "/tests/") || strncmp(base, "test_", 5) == 0 ||
           strstr(base, "_test.") || strstr(base, ".test.") || strstr(base, ".spec.");
}

static bool
is_manifest(const char *path)
{
    static const char *const names[] = {
        "pyproject.toml", "setup.py",     "setup.cfg",       "environment.yml", "Pipfile",
        "package.json",   "Cargo.toml",   "go.mod",          "CMakeLists.txt",  "Makefile",
        "pom.xml",        "build.gradle", "requirements.txt"};
    const char *base = base_name(path);

    if (strncmp(base, "requirements", 12) == 0 && strstr(base, ".txt"))
        return true;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(base, names[i]) == 0)
            return true;
    return false;
}

static bool
is_ci(const char *path)
{
    static const char *const names[] = {".travis.yml",
                                        ".gitlab-ci.yml",
                                        "azure-pipelines.yml",
                                        ".pre-commit-config.yaml",
                                        "tox.ini",
                                        "noxfile.py",
                                        ".flake8"};

    if (strncmp(path, ".github/workflows/", 18) == 0 || strncmp(path, ".circleci/", 10) == 0)
        return true;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(path, names[i]) == 0)
            return true;
    return false;
}

double
reg_rating_code_quality(const struct reg_model_signals *s)
{
    const struct reg_code_signals *c = s->code;
    struct reg_card_stats st;
    bool tests = false, manifest = false, ci = false, license;

    if (!c)
        return 0.0;
    for (int i = 0; c->files && i < c->nfiles; i++) {
        const char *p = c->files[i].path;

        if (!p)
            continue;
        tests = tests || is_test(p);
        manifest = manifest || is_manifest(p);
        ci = ci || is_ci(p);
    }
    license = c->license_spdx && c->license_spdx[0] && strcmp(c->license_spdx, "NOASSERTION") != 0;
    reg_rating_card_stats(c->readme, &st);
    return reg_rating_clamp(0.25 * reg_rating_clamp((double)st.words / DOC_WORDS) +
                            0.15 * (license ? 1.0 : 0.0) + 0.20 * (tests ? 1.0 : 0.0) +
                            0.15 * (manifest ? 1.0 : 0.0) + 0.10 * (ci ? 1.0 : 0.0) +
                            0.15 * reg_rating_log_scale(c->stars, 0.0, 5.0));
}
