/*
 * test_artifact.c - the artifact model: types, source URLs per type with the names derived
 * from them, id and name checks, id generation (format and uniqueness across processes),
 * JSON shapes.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena_fixture.h"
#include "core/artifact.h"

static void
test_type_parse(void **state)
{
    enum reg_artifact_type t = REG_TYPE_CODE;
    static const char *const invalid[] = {"", "Model", "models", "MODEL", " model", "code ", "*"};

    (void)state;
    assert_int_equal(reg_artifact_type_parse("model", &t), REG_OK);
    assert_int_equal(t, REG_TYPE_MODEL);
    assert_int_equal(reg_artifact_type_parse("dataset", &t), REG_OK);
    assert_int_equal(t, REG_TYPE_DATASET);
    assert_int_equal(reg_artifact_type_parse("code", &t), REG_OK);
    assert_int_equal(t, REG_TYPE_CODE);
    for (int i = 0; i < NELEMS(invalid); i++) {
        t = REG_TYPE_MODEL;
        assert_int_equal(reg_artifact_type_parse(invalid[i], &t), REG_EINVAL);
        assert_int_equal(t, REG_TYPE_MODEL);
    }
    assert_int_equal(reg_artifact_type_parse(NULL, &t), REG_EINVAL);
    assert_string_equal(reg_artifact_type_name(REG_TYPE_MODEL), "model");
    assert_string_equal(reg_artifact_type_name(REG_TYPE_DATASET), "dataset");
    assert_string_equal(reg_artifact_type_name(REG_TYPE_CODE), "code");
    assert_string_equal(reg_artifact_type_name((enum reg_artifact_type)REG_TYPE_COUNT), "unknown");
    assert_int_equal(REG_TYPE_ALL, 7);
}

struct source_case {
    enum reg_artifact_type type;
    const char *url;
    enum reg_source_host host;
    const char *repo_id;
    const char *name;
    const char *subdir; /* NULL: none */
};

static const struct source_case accepted[] = {
    /* Models: {org}/{name}, legacy {name}, revision suffixes. */
    {REG_TYPE_MODEL, "https://huggingface.co/google-bert/bert-base-uncased", REG_SOURCE_HUGGINGFACE,
     "google-bert/bert-base-uncased", "bert-base-uncased", NULL},
    {REG_TYPE_MODEL, "https://huggingface.co/bert-base-uncased", REG_SOURCE_HUGGINGFACE,
     "bert-base-uncased", "bert-base-uncased", NULL},
    {REG_TYPE_MODEL, "https://huggingface.co/openai/whisper-tiny/tree/main", REG_SOURCE_HUGGINGFACE,
     "openai/whisper-tiny", "whisper-tiny", NULL},
    {REG_TYPE_MODEL, "https://huggingface.co/openai/whisper-tiny/blob/main/README.md",
     REG_SOURCE_HUGGINGFACE, "openai/whisper-tiny", "whisper-tiny", NULL},
    {REG_TYPE_MODEL, "https://huggingface.co/openai/whisper-tiny/resolve/main/config.json",
     REG_SOURCE_HUGGINGFACE, "openai/whisper-tiny", "whisper-tiny", NULL},
    {REG_TYPE_MODEL, "https://huggingface.co/bert-base-uncased/tree/main", REG_SOURCE_HUGGINGFACE,
     "bert-base-uncased", "bert-base-uncased", NULL},
    {REG_TYPE_MODEL, "https://huggingface.co/google-bert/bert-base-uncased/",
     REG_SOURCE_HUGGINGFACE, "google-bert/bert-base-uncased", "bert-base-uncased", NULL},
    {REG_TYPE_MODEL, "https://huggingface.co/google-bert/bert-base-uncased?x=1#readme",
     REG_SOURCE_HUGGINGFACE, "google-bert/bert-base-uncased", "bert-base-uncased", NULL},
    {REG_TYPE_MODEL, "https://www.huggingface.co/google-bert/bert-base-uncased",
     REG_SOURCE_HUGGINGFACE, "google-bert/bert-base-uncased", "bert-base-uncased", NULL},
    {REG_TYPE_MODEL, "HTTPS://HuggingFace.co/google-bert/bert-base-uncased", REG_SOURCE_HUGGINGFACE,
     "google-bert/bert-base-uncased", "bert-base-uncased", NULL},
    {REG_TYPE_MODEL, "https://huggingface.co/parvk11/audience_classifier_model",
     REG_SOURCE_HUGGINGFACE, "parvk11/audience_classifier_model", "audience_classifier_model",
     NULL},
    {REG_TYPE_MODEL, "https://huggingface.co/Qwen/Qwen2.5-0.5B", REG_SOURCE_HUGGINGFACE,
     "Qwen/Qwen2.5-0.5B", "Qwen2.5-0.5B", NULL},
    /* Datasets. */
    {REG_TYPE_DATASET, "https://huggingface.co/datasets/bookcorpus/bookcorpus",
     REG_SOURCE_HUGGINGFACE, "bookcorpus/bookcorpus", "bookcorpus", NULL},
    {REG_TYPE_DATASET, "https://huggingface.co/datasets/squad", REG_SOURCE_HUGGINGFACE, "squad",
     "squad", NULL},
    {REG_TYPE_DATASET, "https://huggingface.co/datasets/rajpurkar/squad/tree/main",
     REG_SOURCE_HUGGINGFACE, "rajpurkar/squad", "squad", NULL},
    {REG_TYPE_DATASET, "https://www.kaggle.com/datasets/owner/name", REG_SOURCE_KAGGLE,
     "owner/name", "name", NULL},
    {REG_TYPE_DATASET, "https://kaggle.com/datasets/zynicide/wine-reviews", REG_SOURCE_KAGGLE,
     "zynicide/wine-reviews", "wine-reviews", NULL},
    /* Code. */
    {REG_TYPE_CODE, "https://github.com/openai/whisper", REG_SOURCE_GITHUB, "openai/whisper",
     "whisper", NULL},
    {REG_TYPE_CODE, "https://github.com/openai/whisper.git", REG_SOURCE_GITHUB, "openai/whisper",
     "whisper", NULL},
    {REG_TYPE_CODE, "https://www.github.com/openai/whisper", REG_SOURCE_GITHUB, "openai/whisper",
     "whisper", NULL},
    {REG_TYPE_CODE, "https://github.com/openai/whisper/tree/main", REG_SOURCE_GITHUB,
     "openai/whisper", "whisper", NULL},
    {REG_TYPE_CODE, "https://github.com/google-research/bert/tree/main/some/subdir",
     REG_SOURCE_GITHUB, "google-research/bert", NULL, "some/subdir"},
    {REG_TYPE_CODE, "https://github.com/google-research/bert/tree/v1.0/docs", REG_SOURCE_GITHUB,
     "google-research/bert", NULL, "docs"},
    /* A directory named like no artifact may be ("*" is reserved): the repository's name. */
    {REG_TYPE_CODE, "https://github.com/openai/whisper/tree/main/*", REG_SOURCE_GITHUB,
     "openai/whisper", "whisper", "*"},
    {REG_TYPE_CODE, "https://github.com/huggingface/transformers.js", REG_SOURCE_GITHUB,
     "huggingface/transformers.js", "transformers.js", NULL},
};

static const char *
or_null(const char *s)
{
    return s ? s : "(null)";
}

static bool
same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void
test_source_accepted(void **state)
{
    struct reg_arena *a = *state;
    int bad = 0;

    for (int i = 0; i < NELEMS(accepted); i++) {
        const struct source_case *c = &accepted[i];
        struct reg_source src;
        enum reg_status st = reg_artifact_source_parse(a, c->type, c->url, &src);
        CHECK(&bad, st == REG_OK, "%s %s: status %d (%s)", reg_artifact_type_name(c->type), c->url,
              st, reg_error_detail());
        if (st != REG_OK)
            continue;
        CHECK(&bad, src.host == c->host, "%s: host %d, want %d", c->url, src.host, c->host);
        CHECK(&bad, same(src.repo_id, c->repo_id), "%s: repo_id %s, want %s", c->url,
              or_null(src.repo_id), c->repo_id);
        if (c->name)
            CHECK(&bad, same(src.name, c->name), "%s: name %s, want %s", c->url, or_null(src.name),
                  c->name);
        else
            CHECK(&bad, src.name && *src.name, "%s: no name derived", c->url);
        CHECK(&bad, same(src.subdir, c->subdir), "%s: subdir %s, want %s", c->url,
              or_null(src.subdir), or_null(c->subdir));
    }
    assert_int_equal(bad, 0);
}

struct reject_case {
    enum reg_artifact_type type;
    const char *url;
};

static const struct reject_case rejected[] = {
    /* Wrong type for the host. */
    {REG_TYPE_CODE, "https://huggingface.co/google-bert/bert-base-uncased"},
    {REG_TYPE_DATASET, "https://huggingface.co/google-bert/bert-base-uncased"},
    {REG_TYPE_MODEL, "https://github.com/openai/whisper"},
    {REG_TYPE_DATASET, "https://github.com/openai/whisper"},
    {REG_TYPE_MODEL, "https://www.kaggle.com/datasets/owner/name"},
    {REG_TYPE_CODE, "https://www.kaggle.com/datasets/owner/name"},
    {REG_TYPE_CODE, "https://huggingface.co/datasets/bookcorpus/bookcorpus"},
    /* A datasets (or other non-model) URL as a model. */
    {REG_TYPE_MODEL, "https://huggingface.co/datasets/bookcorpus/bookcorpus"},
    {REG_TYPE_MODEL, "https://huggingface.co/datasets/squad"},
    {REG_TYPE_MODEL, "https://huggingface.co/spaces/org/app"},
    {REG_TYPE_MODEL, "https://huggingface.co/docs/hub"},
    {REG_TYPE_MODEL, "https://huggingface.co/organizations/org"},
    {REG_TYPE_MODEL, "https://huggingface.co/api/models/org/name"},
    {REG_TYPE_MODEL, "https://huggingface.co/collections/org/c"},
    {REG_TYPE_MODEL, "https://huggingface.co/papers/1234"},
    {REG_TYPE_MODEL, "https://huggingface.co/settings/tokens"},
    /* Shapes that name no repository or continue oddly. */
    {REG_TYPE_MODEL, "https://huggingface.co"},
    {REG_TYPE_MODEL, "https://huggingface.co/"},
    {REG_TYPE_MODEL, "https://huggingface.co/org/name/extra"},
    {REG_TYPE_DATASET, "https://huggingface.co/datasets"},
    {REG_TYPE_DATASET, "https://huggingface.co/datasets/"},
    {REG_TYPE_DATASET, "https://www.kaggle.com/datasets/owner"},
    {REG_TYPE_DATASET, "https://www.kaggle.com/competitions/owner/name"},
    {REG_TYPE_CODE, "https://github.com/openai"},
    {REG_TYPE_CODE, "https://github.com/"},
    {REG_TYPE_CODE, "https://github.com/openai/whisper/blob/main/x.py"},
    {REG_TYPE_CODE, "https://github.com/openai/whisper/tree"},
    {REG_TYPE_CODE, "https://github.com/openai/whisper/issues"},
    /* Characters outside repository names; spaces and control characters. */
    {REG_TYPE_MODEL, "https://huggingface.co/org/na me"},
    {REG_TYPE_MODEL, "https://huggingface.co/org name/model"},
    {REG_TYPE_MODEL, " https://huggingface.co/org/model"},
    {REG_TYPE_MODEL, "https://huggingface.co/org/model "},
    {REG_TYPE_MODEL, "https://huggingface.co/org/mo\tdel"},
    {REG_TYPE_MODEL, "https://huggingface.co/org/mo\ndel"},
    {REG_TYPE_MODEL, "https://huggingface.co/org/model%2F..%2Fx"},
    {REG_TYPE_MODEL, "https://huggingface.co/org/mod'el"},
    {REG_TYPE_MODEL, "https://huggingface.co/org/mod\xc3\xa9l"},
    {REG_TYPE_MODEL, "https://huggingface.co/org/\xff"},
    {REG_TYPE_CODE, "https://github.com/open ai/whisper"},
    {REG_TYPE_CODE, "https://github.com/openai/whis;per"},
    /* Other hosts. */
    {REG_TYPE_MODEL, "https://evil.com/org/model"},
    {REG_TYPE_MODEL, "https://huggingface.co.evil.com/org/model"},
    {REG_TYPE_MODEL, "https://evilhuggingface.co/org/model"},
    {REG_TYPE_MODEL, "https://evil.com/huggingface.co/org/model"},
    {REG_TYPE_MODEL, "https://huggingface.co@evil.com/org/model"},
    {REG_TYPE_MODEL, "https://evil.com@huggingface.co.evil.com/org/model"},
    {REG_TYPE_MODEL, "https://huggingface.co:8080/org/model"},
    {REG_TYPE_MODEL, "https://api.huggingface.co/org/model"},
    {REG_TYPE_MODEL, "https://www.www.huggingface.co/org/model"},
    {REG_TYPE_MODEL, "https://127.0.0.1/org/model"},
    {REG_TYPE_MODEL, "https:///org/model"},
    {REG_TYPE_CODE, "https://gitlab.com/openai/whisper"},
    {REG_TYPE_CODE, "https://github.com.evil.com/openai/whisper"},
    {REG_TYPE_CODE, "https://raw.githubusercontent.com/openai/whisper/main/x"},
    {REG_TYPE_DATASET, "https://kaggle.com.evil.com/datasets/owner/name"},
    /* '.' and '..' segments. */
    {REG_TYPE_MODEL, "https://huggingface.co/../org/model"},
    {REG_TYPE_MODEL, "https://huggingface.co/org/.."},
    {REG_TYPE_MODEL, "https://huggingface.co/./model"},
    {REG_TYPE_DATASET, "https://huggingface.co/datasets/../model"},
    {REG_TYPE_CODE, "https://github.com/openai/whisper/tree/main/../../x"},
    {REG_TYPE_CODE, "https://github.com/openai/whisper/tree/main/./x"},
    {REG_TYPE_CODE, "https://github.com/../openai/whisper"},
    /* Other schemes. */
    {REG_TYPE_MODEL, "ftp://huggingface.co/org/model"},
    {REG_TYPE_MODEL, "file:///etc/passwd"},
    {REG_TYPE_MODEL, "huggingface.co/org/model"},
    {REG_TYPE_MODEL, "//huggingface.co/org/model"},
    {REG_TYPE_MODEL, "javascript:alert(1)"},
    {REG_TYPE_CODE, "git@github.com:openai/whisper.git"},
    {REG_TYPE_CODE, "ssh://github.com/openai/whisper"},
    {REG_TYPE_MODEL, ""},
    /* Too many path segments. */
    {REG_TYPE_MODEL, "https://huggingface.co/a/b/tree/c/d/e/f/g/h"},
};

static void
test_source_rejected(void **state)
{
    struct reg_arena *a = *state;
    int bad = 0;

    for (int i = 0; i < NELEMS(rejected); i++) {
        const struct reject_case *c = &rejected[i];
        struct reg_source src;
        enum reg_status st;
        reg_error_clear();
        st = reg_artifact_source_parse(a, c->type, c->url, &src);
        CHECK(&bad, st == REG_EINVAL, "%s '%s': status %d (name %s), want REG_EINVAL",
              reg_artifact_type_name(c->type), c->url, st, or_null(src.name));
        CHECK(&bad, st == REG_OK || strlen(reg_error_detail()) > 0, "%s '%s': no detail",
              reg_artifact_type_name(c->type), c->url);
    }
    assert_int_equal(bad, 0);
}

/* A repository named "..." is written "...git" with the ".git" suffix: once the suffix is
 * removed the name is "..", a path-traversal segment, and "..git" leaves ".". */
static const struct reject_case dot_repos[] = {
    {REG_TYPE_CODE, "https://github.com/openai/...git"},
    {REG_TYPE_CODE, "https://github.com/openai/..git"},
};

static void
test_source_rejects_dot_repo_after_git_suffix(void **state)
{
    struct reg_arena *a = *state;
    int bad = 0;

    for (int i = 0; i < NELEMS(dot_repos); i++) {
        struct reg_source src;
        enum reg_status st =
            reg_artifact_source_parse(a, dot_repos[i].type, dot_repos[i].url, &src);
        CHECK(&bad, st == REG_EINVAL, "'%s': status %d with repo_id '%s', want REG_EINVAL",
              dot_repos[i].url, st, or_null(src.repo_id));
    }
    assert_int_equal(bad, 0);
}

static void
test_source_url_length(void **state)
{
    struct reg_arena *a = *state;
    static char url[REG_URL_MAX + 16];
    const char *prefix = "https://huggingface.co/org/";
    size_t plen = strlen(prefix);
    struct reg_source src;

    /* Names past the Hub's 96 for new repositories (a public model's has 98) are accepted up to
     * REG_REPO_SEGMENT_MAX, for every source; one more is refused, saying so. */
    static const char *const prefixes[] = {
        "https://huggingface.co/org/", "https://huggingface.co/datasets/org/",
        "https://www.kaggle.com/datasets/org/", "https://github.com/org/"};
    static const enum reg_artifact_type types[] = {REG_TYPE_MODEL, REG_TYPE_DATASET,
                                                   REG_TYPE_DATASET, REG_TYPE_CODE};
    for (int i = 0; i < NELEMS(prefixes); i++) {
        static const int lengths[] = {96, 97, 98, REG_REPO_SEGMENT_MAX};
        for (int k = 0; k < NELEMS(lengths); k++) {
            snprintf(url, sizeof(url), "%s%0*d", prefixes[i], lengths[k], 0);
            assert_int_equal(reg_artifact_source_parse(a, types[i], url, &src), REG_OK);
            assert_int_equal(strlen(src.name), lengths[k]);
        }
        snprintf(url, sizeof(url), "%s%0*d", prefixes[i], REG_REPO_SEGMENT_MAX + 1, 0);
        assert_int_equal(reg_artifact_source_parse(a, types[i], url, &src), REG_EINVAL);
        assert_non_null(strstr(reg_error_detail(), "at most 255"));
    }
    /* The organisation too. */
    snprintf(url, sizeof(url), "https://huggingface.co/%0*d/name", REG_REPO_SEGMENT_MAX, 0);
    assert_int_equal(reg_artifact_source_parse(a, REG_TYPE_MODEL, url, &src), REG_OK);
    snprintf(url, sizeof(url), "https://huggingface.co/%0*d/name", REG_REPO_SEGMENT_MAX + 1, 0);
    assert_int_equal(reg_artifact_source_parse(a, REG_TYPE_MODEL, url, &src), REG_EINVAL);

    /* REG_URL_MAX bytes pass the length check; one more byte is too long. */
    memcpy(url, prefix, plen);
    memset(url + plen, 'a', 50);
    url[plen + 50] = '?';
    memset(url + plen + 51, 'q', REG_URL_MAX - plen - 51);
    url[REG_URL_MAX] = '\0';
    assert_int_equal(reg_artifact_source_parse(a, REG_TYPE_MODEL, url, &src), REG_OK);
    url[REG_URL_MAX] = 'q';
    url[REG_URL_MAX + 1] = '\0';
    assert_int_equal(reg_artifact_source_parse(a, REG_TYPE_MODEL, url, &src), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "long"));
}

static void
test_source_out_is_reset(void **state)
{
    struct reg_arena *a = *state;
    struct reg_source src;

    assert_int_equal(
        reg_artifact_source_parse(a, REG_TYPE_CODE, "https://github.com/a/b/tree/m/s", &src),
        REG_OK);
    assert_string_equal(src.subdir, "s");
    assert_int_equal(reg_artifact_source_parse(a, REG_TYPE_CODE, "https://github.com/a/b", &src),
                     REG_OK);
    assert_null(src.subdir);
    assert_int_equal(reg_artifact_source_parse(a, REG_TYPE_MODEL, "https://evil.com/a/b", &src),
                     REG_EINVAL);
    assert_null(src.name);
    assert_null(src.repo_id);
    /* a value outside the enum (a caller's bug) is refused, not read as some type */
    assert_int_equal(
        reg_artifact_source_parse(a, (enum reg_artifact_type)7, "https://github.com/a/b", &src),
        REG_EINVAL);
    assert_string_equal(reg_error_detail(), "unknown artifact type");
}

struct check_case {
    const char *s;
    enum reg_status want;
};

static const struct check_case id_cases[] = {
    {"1", REG_OK},
    {"1234567890", REG_OK},
    {"abc-DEF-123", REG_OK},
    {"-", REG_OK},
    {"12345678901234567890123456789012", REG_OK},      /* REG_ID_MAX */
    {"123456789012345678901234567890123", REG_EINVAL}, /* one more */
    {"", REG_EINVAL},
    {"12 3", REG_EINVAL},
    {"12_3", REG_EINVAL},
    {"12.3", REG_EINVAL},
    {"12/3", REG_EINVAL},
    {"..", REG_EINVAL},
    {"%31", REG_EINVAL},
    {"1'; DROP TABLE artifacts;--", REG_EINVAL},
    {"\xc3\xa9", REG_EINVAL},
    {"abc\n", REG_EINVAL},
    {"*", REG_EINVAL},
};

static void
test_id_check(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(id_cases); i++) {
        enum reg_status st = reg_artifact_id_check(id_cases[i].s);
        CHECK(&bad, st == id_cases[i].want, "id '%s': status %d, want %d", id_cases[i].s, st,
              id_cases[i].want);
    }
    assert_int_equal(reg_artifact_id_check(NULL), REG_EINVAL);
    assert_int_equal(bad, 0);
}

static const struct check_case name_cases[] = {
    {"bert-base-uncased", REG_OK},
    {"a", REG_OK},
    {"name with spaces", REG_OK},
    {"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", REG_OK},
    {"**", REG_OK},
    {"a*", REG_OK},
    {"x/y", REG_OK},
    {"", REG_EINVAL},
    {"*", REG_EINVAL},
    {"tab\there", REG_EINVAL},
    {"new\nline", REG_EINVAL},
    {"del\x7f", REG_EINVAL},
    {"\xff", REG_EINVAL},
    {"\xc3", REG_EINVAL},
};

static void
test_name_check(void **state)
{
    char name[REG_NAME_MAX + 2];
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(name_cases); i++) {
        enum reg_status st = reg_artifact_name_check(name_cases[i].s);
        CHECK(&bad, st == name_cases[i].want, "name '%s': status %d, want %d", name_cases[i].s, st,
              name_cases[i].want);
    }
    memset(name, 'n', REG_NAME_MAX);
    name[REG_NAME_MAX] = '\0';
    CHECK(&bad, reg_artifact_name_check(name) == REG_OK, "name of REG_NAME_MAX bytes refused");
    name[REG_NAME_MAX] = 'n';
    name[REG_NAME_MAX + 1] = '\0';
    CHECK(&bad, reg_artifact_name_check(name) == REG_EINVAL, "name of REG_NAME_MAX+1 accepted");
    assert_int_equal(bad, 0);
}

/* ^[a-zA-Z0-9-]+$, and per artifact.h 10 to 19 decimal digits. */
static bool
id_well_formed(const char *id)
{
    size_t n = strlen(id);

    return n >= 10 && n <= 19 && strspn(id, "0123456789") == n && id[0] != '0' &&
           reg_artifact_id_check(id) == REG_OK;
}

static void
test_id_new_format(void **state)
{
    (void)state;
    for (int i = 0; i < 10000; i++) {
        char id[REG_ID_MAX + 1];
        memset(id, 'x', sizeof(id));
        reg_artifact_id_new(id);
        if (!id_well_formed(id))
            fail_msg("malformed id '%.40s'", id);
    }
}

#define ID_PROCS 8
#define IDS_PER_PROC 100000
#define ID_RECORD 20 /* 19 digits at most, space-padded, then '\n' */

static int
cmp_ids(const void *a, const void *b)
{
    return memcmp(a, b, ID_RECORD);
}

/* Child p: writes its IDS_PER_PROC fixed-size records to its slice of fd; exits 0, 1 on a
 * malformed id, 2 on a write error. */
static _Noreturn void
write_ids(int fd, int p)
{
    static char buf[IDS_PER_PROC * ID_RECORD + 1];
    off_t base = (off_t)p * IDS_PER_PROC * ID_RECORD;

    for (int i = 0; i < IDS_PER_PROC; i++) {
        char id[REG_ID_MAX + 1];
        reg_artifact_id_new(id);
        if (!id_well_formed(id))
            _exit(1);
        /* Right-aligned, so byte order is numeric order. */
        snprintf(buf + (size_t)i * ID_RECORD, ID_RECORD + 1, "%19.19s\n", id);
    }
    for (size_t off = 0; off < IDS_PER_PROC * ID_RECORD;) {
        ssize_t n = pwrite(fd, buf + off, IDS_PER_PROC * ID_RECORD - off, base + (off_t)off);
        if (n <= 0)
            _exit(2);
        off += (size_t)n;
    }
    _exit(0);
}

static void
test_id_new_unique_across_processes(void **state)
{
    char path[] = "/tmp/reg-test-ids-XXXXXX";
    const size_t total = (size_t)ID_PROCS * IDS_PER_PROC;
    int fd = mkstemp(path);
    char *all = malloc(total * ID_RECORD);
    char first[REG_ID_MAX + 1];
    size_t got = 0, dups = 0;

    (void)state;
    assert_true(fd >= 0);
    assert_non_null(all);
    unlink(path);
    /* The parent draws first, so the children inherit a seeded generator: each must still
     * produce its own sequence after the fork. */
    reg_artifact_id_new(first);
    for (int p = 0; p < ID_PROCS; p++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            write_ids(fd, p);
    }
    for (int p = 0; p < ID_PROCS; p++) {
        int status;
        assert_true(wait(&status) > 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("an id writer ended with status 0x%x", status);
    }
    while (got < total * ID_RECORD) {
        ssize_t n = pread(fd, all + got, total * ID_RECORD - got, (off_t)got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    close(fd);
    qsort(all, total, ID_RECORD, cmp_ids);
    for (size_t i = 1; i < total; i++) {
        if (memcmp(all + (i - 1) * ID_RECORD, all + i * ID_RECORD, ID_RECORD) != 0)
            continue;
        if (dups++ < 5)
            print_error("duplicate id %.19s\n", all + i * ID_RECORD);
    }
    free(all);
    assert_int_equal(dups, 0);
}

static void
test_json_shapes(void **state)
{
    struct reg_artifact art = {.type = REG_TYPE_DATASET,
                               .name = "bookcorpus",
                               .url = "https://huggingface.co/datasets/bookcorpus/bookcorpus"};
    struct json_object *m, *full;

    (void)state;
    strcpy(art.id, "1234567890");
    m = reg_artifact_metadata_json(&art);
    assert_string_equal(
        json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
        "{\"name\":\"bookcorpus\",\"id\":\"1234567890\",\"type\":\"dataset\"}");
    json_object_put(m);
    full = reg_artifact_json(&art, "http://127.0.0.1:8080");
    assert_string_equal(
        json_object_to_json_string_ext(full,
                                       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
        "{\"metadata\":{\"name\":\"bookcorpus\",\"id\":\"1234567890\",\"type\":\"dataset\"},"
        "\"data\":{\"url\":\"https://huggingface.co/datasets/bookcorpus/bookcorpus\","
        "\"download_url\":\"http://127.0.0.1:8080/download/dataset/1234567890\"}}");
    json_object_put(full);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_parse),
        cmocka_unit_test_setup_teardown(test_source_accepted, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_source_rejected, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_source_rejects_dot_repo_after_git_suffix, arena_setup,
                                        arena_teardown),
        cmocka_unit_test_setup_teardown(test_source_url_length, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_source_out_is_reset, arena_setup, arena_teardown),
        cmocka_unit_test(test_id_check),
        cmocka_unit_test(test_name_check),
        cmocka_unit_test(test_id_new_format),
        cmocka_unit_test(test_id_new_unique_across_processes),
        cmocka_unit_test(test_json_shapes),
    };
    return cmocka_run_group_tests_name("core/artifact", tests, NULL, NULL);
}
