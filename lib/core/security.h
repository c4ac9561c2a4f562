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
#include "bundle/bundle.h"
#include "bundle/zipcheck.h"
#include "core/artifact.h"
#include "scan/scan.h"

/* The verdicts, for counting (scan.h's enum, in order). */
#define REG_SECURITY_VERDICTS (REG_SCAN_UNKNOWN + 1)

struct reg_security_file {
    const char *path;
    struct reg_scan_result result;
    int64_t read_bytes; /* scanned upstream: bytes read for the verdict; -1: the whole file
                           passed through the registry (an upload) */
    bool by_directory;  /* scanned upstream: a zip read by its central directory */
};

/* A file upstream would not let the registry read (a gated repository without access). */
struct reg_security_skip {
    const char *path, *reason;
};

struct reg_security_report {
    enum reg_scan_policy policy;
    enum reg_artifact_type type;
    struct reg_security_file *files; /* every file scanned (a format other than NONE) */
    int nfiles;
    struct reg_security_skip *skipped; /* scanned upstream: files refused to the registry */
    int nskipped;
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

/* Files scanned upstream at a time. */
#define REG_SECURITY_PARALLEL 4

/*
 * Scans, where they lie upstream, the files[0..nfiles) (bundle/bundle.h's list: path, URL,
 * size) whose names are a format the scanner reads, REG_SECURITY_PARALLEL at a time, reading
 * only what each verdict needs (scan.h's reg_scan_remote: a zip over whole_max by its central
 * directory; <= 0: the scanner's default) with fetch's settings, into r (its policy and type
 * set by the caller; its files allocated from a). A file upstream refuses to the registry
 * (401 or 403: a gated repository it has no access to) is listed as skipped, not judged: the
 * registry cannot hand it out either, and a download that can fetch it scans it then.
 * REG_EUPSTREAM (or REG_EUNAVAILABLE) naming the file when one cannot be read otherwise: no
 * verdict is made up for it.
 */
enum reg_status reg_security_scan_upstream(struct reg_arena *a,
                                           const struct reg_bundle_fetch *fetch,
                                           const struct reg_bundle_file *files, int nfiles,
                                           int64_t whole_max, struct reg_security_report *r);

/* The exact parameter count of one copy of the weights from r's safetensors headers (the files
 * size_score counts as the safetensors copy); -1 when r has none or one without a count. */
int64_t reg_security_parameters(const struct reg_security_report *r);

/* REG_EDISQUALIFIED, the detail naming every refused file with its verdict and imports, when
 * the policy refuses the artifact; REG_OK otherwise. */
enum reg_status reg_security_decide(const struct reg_security_report *r);

/* {"scanned": true, "policy", "verdict" (the worst), "counts": {verdict: n}, "files": [{"path",
 * "format", "verdict", "imports", "imports_truncated", "custom_code", "parameters", "detail",
 * and for a file scanned upstream "read_bytes", "by_directory"}], "skipped" (when any):
 * [{"path", "reason"}]};
 * under policy off {"scanned": false, "policy": "off"}. */
struct json_object *reg_security_json(const struct reg_security_report *r);

/* The answer of GET .../security for art: its stored report, or {"scanned": false, "detail"}
 * when it has none (registered while the policy was off, or before the registry scanned). */
struct json_object *reg_security_answer(struct reg_arena *a, const struct reg_artifact *art);

#endif
