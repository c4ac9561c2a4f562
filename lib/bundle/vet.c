/*
 * vet.c - the filler's scanning observer and the vetted watermark (see vet.h).
 */
#include "bundle/vet.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/limits.h"

/* Longest line of a watermark file ("<int64> <0|1>\n"). */
#define VET_LINE_MAX 48

bool
reg_vet_holds(enum reg_scan_policy policy, enum reg_artifact_type type)
{
    return policy == REG_SCAN_POLICY_BLOCK && type == REG_TYPE_MODEL;
}

enum reg_status
reg_vet_publish(const char *path, int64_t vetted, bool settled)
{
    char tmp[REG_MAX_PATH];
    FILE *f;
    int bad;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return reg_errorf(REG_ESTORE, "the watermark path is too long");
    f = fopen(tmp, "w");
    if (!f)
        return reg_errorf(REG_ESTORE, "cannot write %s: %s", tmp, strerror(errno));
    bad = fprintf(f, "%" PRId64 " %d\n", vetted, settled ? 1 : 0) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return reg_errorf(REG_ESTORE, "cannot publish %s: %s", path, strerror(errno));
    }
    return REG_OK;
}

enum reg_status
reg_vet_read(const char *path, int64_t total, int64_t *vetted, bool *settled)
{
    char line[VET_LINE_MAX];
    int64_t off;
    int done;
    FILE *f = fopen(path, "r");

    if (!f && errno == ENOENT) {
        *vetted = total;
        *settled = true;
        return REG_OK;
    }
    if (!f)
        return reg_errorf(REG_ESTORE, "cannot read %s: %s", path, strerror(errno));
    done = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    if (!done || sscanf(line, "%" SCNd64 " %d", &off, &done) != 2 || off < 0 || off > total)
        return reg_errorf(REG_ESTORE, "%s holds no watermark", path);
    *vetted = off;
    *settled = done != 0;
    return REG_OK;
}

/* The watermark into its file, when it moved (or settled). */
static enum reg_status
publish(struct reg_vet *v)
{
    enum reg_status st;

    if (!v->path)
        return REG_OK;
    st = reg_vet_publish(v->path, v->vetted, v->settled);
    if (st == REG_OK)
        v->published = v->vetted;
    return st;
}

/* ---- the observer ------------------------------------------------------------------------- */

static enum reg_status
on_begin(void *ctx, const char *path)
{
    struct reg_vet *v = ctx;
    enum reg_status st = REG_OK;

    v->index++;
    v->current_scanned = false;
    if (v->scanning) {
        st = v->scanner.observer.begin(v->scanner.observer.ctx, path);
        v->current_scanned = v->scanner.current != NULL;
    }
    return st;
}

static enum reg_status
on_data(void *ctx, const void *buf, size_t len)
{
    struct reg_vet *v = ctx;
    enum reg_status st = REG_OK;

    if (v->scanning)
        st = v->scanner.observer.data(v->scanner.observer.ctx, buf, len);
    if (st != REG_OK || !v->holds || v->current_scanned)
        return st;
    /* A file the scanner does not read passes at once. */
    v->vetted = *v->written;
    return v->vetted - v->published >= REG_VET_STEP ? publish(v) : REG_OK;
}

/* Whether the file just ended is refused: the newest file of the report. */
static bool
last_refused(const struct reg_vet *v)
{
    const struct reg_security_report *r = &v->scanner.report;

    return v->current_scanned && r->nfiles > 0 &&
           reg_scan_refuses(r->policy, r->files[r->nfiles - 1].result.verdict);
}

static enum reg_status
on_end(void *ctx)
{
    struct reg_vet *v = ctx;
    enum reg_status st = REG_OK;

    if (v->scanning)
        st = v->scanner.observer.end(v->scanner.observer.ctx);
    if (st != REG_OK || !v->holds)
        return st;
    if (last_refused(v)) {
        v->scanner.report.refused = true;
        return reg_security_decide(&v->scanner.report); /* REG_EDISQUALIFIED, the detail */
    }
    v->vetted = *v->written;
    if (v->index >= v->last_scanned)
        v->settled = true;
    return publish(v);
}

/* ---- life --------------------------------------------------------------------------------- */

void
reg_vet_init(struct reg_vet *v, struct reg_arena *a, enum reg_scan_policy policy,
             enum reg_artifact_type type, const struct reg_bundle_file *files, int n,
             const int64_t *written, const char *path)
{
    memset(v, 0, sizeof(*v));
    reg_security_scanner_init(&v->scanner, a, policy, type);
    v->scanning = policy != REG_SCAN_POLICY_OFF;
    v->holds = reg_vet_holds(policy, type);
    v->written = written;
    v->path = v->holds ? path : NULL;
    v->index = -1;
    v->last_scanned = -1;
    for (int i = 0; i < n; i++)
        if (reg_scan_format_of(files[i].path) != REG_SCAN_FORMAT_NONE)
            v->last_scanned = i;
    v->settled = !v->holds || v->last_scanned < 0;
    v->observer = (struct reg_zip_observer){v, on_begin, on_data, on_end};
}

enum reg_status
reg_vet_start(struct reg_vet *v)
{
    return publish(v);
}

enum reg_status
reg_vet_finish(struct reg_vet *v, int64_t total)
{
    v->vetted = total;
    v->settled = true;
    return publish(v);
}

void
reg_vet_cleanup(struct reg_vet *v)
{
    reg_security_scanner_cleanup(&v->scanner);
}
