/*
 * security.h - the model scan (scan/scan.h) of an artifact's files as the registry decides on,
 * keeps and serves it: a report over a set of files, the verdict under REGISTRY_SCAN_POLICY,
 * and its JSON, kept in the artifact's metadata document under "security" (so it is written
 * with the artifact, atomically, on both stores) and served by GET
 * /artifact/{type}/{id}/security.
 *
 * Where files are scanned: an upload's zip, every file as zipcheck decompresses it (the
 * scanner is its observer, bundle/zipcheck.h). The policy refuses models only (a dataset or
 * code upload is scanned and its report kept, never refused): block refuses a model with a
 * dangerous or unknown file (424, naming the files and their imports), flag and off refuse
 * nothing, and off scans nothing.
 *
 * Ownership: a scanner's report and its strings live in the arena given to
 * reg_security_scanner_init; reg_security_scanner_cleanup frees the scan under way, if any.
 * JSON builders return a new reference the caller owns.
 */
#ifndef REG_CORE_SECURITY_H
#define REG_CORE_SECURITY_H

#include <json-c/json.h>
#include <stdbool.h>

#include "base/arena.h"
#include "base/status.h"
#include "bundle/zipcheck.h"
#include "core/artifact.h"
#include "scan/scan.h"

/* The verdicts, for counting (scan.h's enum, in order). */
#define REG_SECURITY_VERDICTS (REG_SCAN_UNKNOWN + 1)

struct reg_security_file {
    const char *path;
    struct reg_scan_result result;
};

struct reg_security_report {
    enum reg_scan_policy policy;
    enum reg_artifact_type type;
    struct reg_security_file *files; /* every file scanned (a format other than NONE) */
    int nfiles;
    int counts[REG_SECURITY_VERDICTS]; /* files by verdict */
    bool refused;                      /* the policy refused the artifact (set by the caller) */
};

/* Scans the files of a zip as zipcheck reads them: give &observer to reg_zipcheck_limits
 * (leave it out under policy off). */
struct reg_security_scanner {
    struct reg_arena *a;
    struct reg_scan *current; /* the file under way, NULL when it is not scanned */
    const char *current_path;
    int cap;
    struct reg_security_report report;
    struct reg_zip_observer observer;
};

void reg_security_scanner_init(struct reg_security_scanner *s, struct reg_arena *a,
                               enum reg_scan_policy policy, enum reg_artifact_type type);
void reg_security_scanner_cleanup(struct reg_security_scanner *s);

/* REG_EDISQUALIFIED, the detail naming every refused file with its verdict and imports, when
 * the policy refuses the artifact; REG_OK otherwise. */
enum reg_status reg_security_decide(const struct reg_security_report *r);

/* {"scanned": true, "policy", "verdict" (the worst), "counts": {verdict: n}, "files": [{"path",
 * "format", "verdict", "imports", "imports_truncated", "custom_code", "parameters", "detail"}]};
 * under policy off {"scanned": false, "policy": "off"}. */
struct json_object *reg_security_json(const struct reg_security_report *r);

/* The answer of GET .../security for art: its stored report, or {"scanned": false, "detail"}
 * when it has none (registered from a URL: the registry has not stored its files). */
struct json_object *reg_security_answer(struct reg_arena *a, const struct reg_artifact *art);

#endif
