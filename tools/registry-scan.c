/*
 * registry-scan.c - the model scanner (scan/scan.h) on files on disk, as the registry would
 * judge them: one JSON report on stdout, the shape GET /artifact/{type}/{id}/security serves.
 *
 *   registry-scan [--name NAME] FILE...
 *
 * Each file is scanned as the format its name says (--name: as if it were called NAME, for a
 * file saved under another name), streamed in chunks as the registry streams a download.
 * Exit status: 0 when every file is safe or suspicious, 1 when one is dangerous or unknown
 * (what REGISTRY_SCAN_POLICY=block refuses in a model), 2 for bad arguments or a file that
 * cannot be read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/security.h"

#define CHUNK ((size_t)1 << 20)

/* Scans the open file f as path into *out. */
static enum reg_status
scan_stream(FILE *f, const char *path, struct reg_arena *a, struct reg_scan_result *out)
{
    static char buf[CHUNK];
    struct reg_scan *s;
    enum reg_status st;
    size_t n;

    st = reg_scan_begin(path, -1, &s);
    while (st == REG_OK && !reg_scan_done(s) && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        st = reg_scan_feed(s, buf, n);
    if (st == REG_OK && ferror(f))
        st = reg_errorf(REG_EINVAL, "%s: read error", path);
    if (st == REG_OK)
        st = reg_scan_end(s, a, out);
    reg_scan_free(s);
    return st;
}

int
main(int argc, char **argv)
{
    struct reg_security_report r = {.policy = REG_SCAN_POLICY_BLOCK, .type = REG_TYPE_MODEL};
    const char *name = NULL;
    struct reg_arena a;
    int first = 1, rc = 0;

    if (argc > 2 && strcmp(argv[1], "--name") == 0) {
        name = argv[2];
        first = 3;
    }
    if (first >= argc) {
        fputs("usage: registry-scan [--name NAME] FILE...\n", stderr);
        return 2;
    }
    reg_arena_init(&a);
    r.files = reg_arena_alloc(&a, sizeof(*r.files) * (size_t)(argc - first));
    for (int i = first; i < argc && rc == 0; i++) {
        struct reg_security_file *file = &r.files[r.nfiles];
        FILE *f = fopen(argv[i], "rb");

        file->path = name ? name : argv[i];
        if (!f || scan_stream(f, file->path, &a, &file->result) != REG_OK) {
            fprintf(stderr, "registry-scan: %s: %s\n", argv[i],
                    f ? reg_error_detail() : strerror(errno));
            rc = 2;
        } else {
            r.counts[file->result.verdict]++;
            r.nfiles++;
        }
        if (f)
            fclose(f);
    }
    if (rc == 0) {
        struct json_object *o = reg_security_json(&r);

        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
        json_object_put(o);
        rc = reg_security_decide(&r) == REG_OK ? 0 : 1;
    }
    reg_arena_cleanup(&a);
    return rc;
}
