/*
 * security.c - scan reports: gathering them from a zip, the policy's verdict, their JSON (see
 * security.h).
 */
#include "core/security.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"

/* How bad each verdict is, for the report's worst. */
static int
severity(enum reg_scan_verdict v)
{
    switch (v) {
    case REG_SCAN_SAFE:
        return 0;
    case REG_SCAN_SUSPICIOUS:
        return 1;
    case REG_SCAN_UNKNOWN:
        return 2;
    case REG_SCAN_DANGEROUS:
        break;
    }
    return 3;
}

/* ---- the zip observer ---------------------------------------------------------------------- */

static enum reg_status
on_begin(void *ctx, const char *path)
{
    struct reg_security_scanner *s = ctx;

    s->current = NULL;
    if (reg_scan_format_of(path) == REG_SCAN_FORMAT_NONE)
        return REG_OK;
    s->current_path = reg_arena_strdup(s->a, path);
    return reg_scan_begin(path, -1, &s->current);
}

static enum reg_status
on_data(void *ctx, const void *buf, size_t len)
{
    struct reg_security_scanner *s = ctx;

    return s->current ? reg_scan_feed(s->current, buf, len) : REG_OK;
}

/* Room for one more file in the report (the arena keeps the old array). */
static void
grow(struct reg_security_scanner *s)
{
    struct reg_security_file *files;

    if (s->report.nfiles < s->cap)
        return;
    s->cap = s->cap ? 2 * s->cap : 16;
    files = reg_arena_alloc(s->a, (size_t)s->cap * sizeof(*files));
    if (s->report.nfiles > 0)
        memcpy(files, s->report.files, (size_t)s->report.nfiles * sizeof(*files));
    s->report.files = files;
}

static enum reg_status
on_end(void *ctx)
{
    struct reg_security_scanner *s = ctx;
    struct reg_security_file *f;
    enum reg_status st;

    if (!s->current)
        return REG_OK;
    grow(s);
    f = &s->report.files[s->report.nfiles];
    f->path = s->current_path;
    st = reg_scan_end(s->current, s->a, &f->result);
    reg_scan_free(s->current);
    s->current = NULL;
    if (st != REG_OK)
        return st;
    s->report.counts[f->result.verdict]++;
    s->report.nfiles++;
    return REG_OK;
}

void
reg_security_scanner_init(struct reg_security_scanner *s, struct reg_arena *a,
                          enum reg_scan_policy policy, enum reg_artifact_type type)
{
    memset(s, 0, sizeof(*s));
    s->a = a;
    s->report.policy = policy;
    s->report.type = type;
    s->observer = (struct reg_zip_observer){s, on_begin, on_data, on_end};
}

void
reg_security_scanner_cleanup(struct reg_security_scanner *s)
{
    reg_scan_free(s->current);
    s->current = NULL;
}

/* ---- the verdict --------------------------------------------------------------------------- */

/* "file: verdict (imports a.b, c.d; detail)" appended to buf, cut at its end. */
static void
describe_file(char *buf, size_t cap, const struct reg_security_file *f)
{
    size_t len = strlen(buf);
    const struct reg_scan_result *r = &f->result;

    len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s: %s", len ? "; " : "",
                            f->path, reg_scan_verdict_name(r->verdict));
    for (int i = 0; i < r->nimports && len < cap; i++)
        len +=
            (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : " (imports ", r->imports[i]);
    if (r->nimports > 0 && len < cap)
        len += (size_t)snprintf(buf + len, cap - len, ")");
    if (r->detail && r->detail[0] && len < cap)
        snprintf(buf + len, cap - len, " - %s", r->detail);
}

enum reg_status
reg_security_decide(const struct reg_security_report *r)
{
    char files[REG_ERROR_DETAIL_MAX];
    int refused = 0;

    if (r->type != REG_TYPE_MODEL)
        return REG_OK;
    files[0] = '\0';
    for (int i = 0; i < r->nfiles; i++) {
        if (!reg_scan_refuses(r->policy, r->files[i].result.verdict))
            continue;
        describe_file(files, sizeof(files), &r->files[i]);
        refused++;
    }
    if (refused == 0)
        return REG_OK;
    return reg_errorf(REG_EDISQUALIFIED,
                      "the model scan refuses %d file%s (REGISTRY_SCAN_POLICY=block): %s", refused,
                      refused == 1 ? "" : "s", files);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static struct json_object *
file_json(const struct reg_security_file *f)
{
    const struct reg_scan_result *r = &f->result;
    struct json_object *o = json_object_new_object(), *imports = json_object_new_array();

    for (int i = 0; i < r->nimports; i++)
        json_object_array_add(imports, json_object_new_string(r->imports[i]));
    json_object_object_add(o, "path", json_object_new_string(f->path));
    json_object_object_add(o, "format", json_object_new_string(reg_scan_format_name(r->format)));
    json_object_object_add(o, "verdict", json_object_new_string(reg_scan_verdict_name(r->verdict)));
    json_object_object_add(o, "imports", imports);
    json_object_object_add(o, "imports_truncated", json_object_new_boolean(r->imports_truncated));
    json_object_object_add(o, "custom_code", json_object_new_boolean(r->custom_code));
    json_object_object_add(o, "parameters",
                           r->parameters >= 0 ? json_object_new_int64(r->parameters) : NULL);
    json_object_object_add(o, "detail", json_object_new_string(r->detail ? r->detail : ""));
    return o;
}

struct json_object *
reg_security_json(const struct reg_security_report *r)
{
    struct json_object *o = json_object_new_object(), *files, *counts;
    enum reg_scan_verdict worst = REG_SCAN_SAFE;

    json_object_object_add(o, "scanned", json_object_new_boolean(r->policy != REG_SCAN_POLICY_OFF));
    json_object_object_add(o, "policy", json_object_new_string(reg_scan_policy_name(r->policy)));
    if (r->policy == REG_SCAN_POLICY_OFF)
        return o;
    files = json_object_new_array();
    counts = json_object_new_object();
    for (int i = 0; i < r->nfiles; i++) {
        if (severity(r->files[i].result.verdict) > severity(worst))
            worst = r->files[i].result.verdict;
        json_object_array_add(files, file_json(&r->files[i]));
    }
    for (int v = 0; v < REG_SECURITY_VERDICTS; v++)
        json_object_object_add(counts, reg_scan_verdict_name((enum reg_scan_verdict)v),
                               json_object_new_int(r->counts[v]));
    json_object_object_add(o, "verdict", json_object_new_string(reg_scan_verdict_name(worst)));
    json_object_object_add(o, "counts", counts);
    json_object_object_add(o, "files", files);
    return o;
}

struct json_object *
reg_security_answer(struct reg_arena *a, const struct reg_artifact *art)
{
    struct json_object *doc, *report, *o;

    if (art->metadata &&
        reg_json_parse_object(a, art->metadata, strlen(art->metadata), &doc) == REG_OK &&
        json_object_object_get_ex(doc, "security", &report) &&
        json_object_is_type(report, json_type_object))
        return json_object_get(report);
    o = json_object_new_object();
    json_object_object_add(o, "scanned", json_object_new_boolean(false));
    json_object_object_add(o, "detail",
                           json_object_new_string("the registry scans the files it stores when "
                                                  "they are uploaded; this artifact was "
                                                  "registered from a URL, and files fetched from "
                                                  "upstream are not scanned yet"));
    return o;
}
