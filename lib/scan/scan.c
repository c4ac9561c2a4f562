/*
 * scan.c - the scanner's front: a file's format from its name, the reader for it (sniffing
 * pickle-named files: a zip is a PyTorch checkpoint), the findings every reader reports, and
 * the verdict and policy. The readers themselves are pickle.c, zip.c and formats.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scan/scan_int.h"

/* M_DIR: a zip read by its central directory (remote.c), entry by entry, not as a stream. */
enum mode { M_NONE, M_SNIFF, M_PICKLE, M_ZIP, M_NPY, M_ST, M_JSON, M_DIR };

struct reg_scan {
    enum reg_scan_format format;
    enum mode mode;
    bool npz;
    int64_t size;
    uint64_t fed;
    uint8_t sniff[4];
    size_t nsniff;
    /* findings */
    bool seen[4];
    char detail[4][SCAN_DETAIL_MAX];
    char *imports[REG_SCAN_IMPORTS_MAX];
    int nimports;
    bool imports_truncated;
    bool custom_code;
    int64_t parameters;
    bool stopped;
    /* the reader of the mode */
    struct pk pk;
    struct zip zip;
    struct npy npy;
    struct st st;
    struct jdoc jd;
};

static const char *const verdict_names[] = {"safe", "suspicious", "dangerous", "unknown"};
static const char *const format_names[] = {"none",        "pickle", "numpy",
                                           "safetensors", "keras",  "config"};

const char *
reg_scan_verdict_name(enum reg_scan_verdict v)
{
    return (unsigned)v < 4 ? verdict_names[v] : "unknown";
}

const char *
reg_scan_format_name(enum reg_scan_format f)
{
    return (unsigned)f < 6 ? format_names[f] : "none";
}

static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

enum reg_scan_format
reg_scan_format_of(const char *path)
{
    static const struct {
        const char *suffix;
        enum reg_scan_format format;
    } suffixes[] = {
        {".pkl", REG_SCAN_FORMAT_PICKLE},
        {".pickle", REG_SCAN_FORMAT_PICKLE},
        {".bin", REG_SCAN_FORMAT_PICKLE},
        {".pt", REG_SCAN_FORMAT_PICKLE},
        {".pth", REG_SCAN_FORMAT_PICKLE},
        {".ckpt", REG_SCAN_FORMAT_PICKLE},
        {".npy", REG_SCAN_FORMAT_NUMPY},
        {".npz", REG_SCAN_FORMAT_NUMPY},
        {".safetensors", REG_SCAN_FORMAT_SAFETENSORS},
        {".keras", REG_SCAN_FORMAT_KERAS},
    };
    const char *base = base_name(path ? path : "");

    if (strcasecmp(base, "config.json") == 0)
        return REG_SCAN_FORMAT_CONFIG;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (ends_with(base, suffixes[i].suffix))
            return suffixes[i].format;
    return REG_SCAN_FORMAT_NONE;
}

/* ---- findings ---- */

/* Names in a file are bytes: a detail or an import shown to people (and put in JSON) keeps
 * printable ASCII and shows every other byte as '?'. */
static void
printable(char *t)
{
    for (; *t; t++)
        if ((unsigned char)*t < 0x20 || (unsigned char)*t >= 0x7f)
            *t = '?';
}

void
scan_note(struct reg_scan *s, enum reg_scan_verdict v, const char *fmt, ...)
{
    va_list ap;

    if (v == REG_SCAN_UNKNOWN)
        s->stopped = true;
    if (s->seen[v])
        return;
    s->seen[v] = true;
    va_start(ap, fmt);
    vsnprintf(s->detail[v], sizeof(s->detail[v]), fmt, ap);
    va_end(ap);
    printable(s->detail[v]);
}

bool
scan_stopped(const struct reg_scan *s)
{
    return s->stopped;
}

void
scan_custom_code(struct reg_scan *s)
{
    s->custom_code = true;
}

void
scan_parameters(struct reg_scan *s, int64_t n)
{
    s->parameters = n;
}

static void
add_import(struct reg_scan *s, const char *text)
{
    for (int i = 0; i < s->nimports; i++)
        if (strcmp(s->imports[i], text) == 0)
            return;
    if (s->nimports == REG_SCAN_IMPORTS_MAX) {
        s->imports_truncated = true;
        return;
    }
    s->imports[s->nimports] = strdup(text);
    if (!s->imports[s->nimports])
        reg_oom();
    printable(s->imports[s->nimports]);
    s->nimports++;
}

void
scan_import(struct reg_scan *s, const char *module, const char *name, const char *op,
            const char *where, uint64_t pos)
{
    char text[2 * SCAN_NAME_MAX + 2];
    enum reg_scan_verdict v = REG_SCAN_DANGEROUS;
    const char *why = "an import the scanner cannot name (its name is no string in the file)";

    if (module && name) {
        snprintf(text, sizeof(text), "%s.%s", module, name);
        v = reg_scan_import_verdict(module, name, &why);
    } else {
        snprintf(text, sizeof(text), "unknown");
    }
    add_import(s, text);
    if (v == REG_SCAN_SAFE)
        return;
    scan_note(s, v, "%s%s%s (%s at byte %llu%s%s)", text, why ? ": " : " is on neither list",
              why ? why : "", op, (unsigned long long)pos, *where ? " of " : "", where);
}

/* ---- the scan ---- */

enum reg_status
reg_scan_begin(const char *path, int64_t size, struct reg_scan **out)
{
    struct reg_scan *s;

    *out = NULL;
    if (!path)
        return reg_errorf(REG_EINVAL, "scan: no file name");
    s = calloc(1, sizeof(*s));
    if (!s)
        reg_oom();
    s->format = reg_scan_format_of(path);
    s->size = size;
    s->parameters = -1;
    switch (s->format) {
    case REG_SCAN_FORMAT_NONE:
        s->mode = M_NONE;
        break;
    case REG_SCAN_FORMAT_PICKLE:
        s->mode = M_SNIFF;
        break;
    case REG_SCAN_FORMAT_NUMPY:
        if (ends_with(path, ".npz")) {
            s->mode = M_ZIP;
            zip_init(&s->zip, s, ZIP_NPZ);
        } else {
            s->mode = M_NPY;
            npy_init(&s->npy, s, "");
        }
        break;
    case REG_SCAN_FORMAT_SAFETENSORS:
        s->mode = M_ST;
        st_init(&s->st, s);
        break;
    case REG_SCAN_FORMAT_KERAS:
        s->mode = M_ZIP;
        zip_init(&s->zip, s, ZIP_KERAS);
        break;
    case REG_SCAN_FORMAT_CONFIG:
        s->mode = M_JSON;
        jdoc_init(&s->jd, s, "config.json", false);
        break;
    }
    *out = s;
    return REG_OK;
}

/* A pickle-named file's first bytes decide: a zip is a PyTorch checkpoint. */
static void
decide(struct reg_scan *s)
{
    static const uint8_t zip_sig[] = {'P', 'K', 3, 4};
    static const uint8_t empty_sig[] = {'P', 'K', 5, 6};

    if (s->nsniff == 4 &&
        (memcmp(s->sniff, zip_sig, 4) == 0 || memcmp(s->sniff, empty_sig, 4) == 0)) {
        s->mode = M_ZIP;
        zip_init(&s->zip, s, ZIP_TORCH);
        zip_feed(&s->zip, s->sniff, s->nsniff);
    } else if (!pk_is_opcode(s->sniff[0])) {
        /* The unpickler fails on its first byte, before it can call anything: torch.load and
         * pickle.load refuse such a file (a CoreML weight.bin, a GGML .bin). */
        s->mode = M_NONE;
        scan_note(s, REG_SCAN_SAFE,
                  "not a pickle or a zip (byte 0 is 0x%02x, no pickle opcode): "
                  "loading it as one fails before running anything",
                  s->sniff[0]);
    } else {
        s->mode = M_PICKLE;
        pk_init(&s->pk, s, "", true);
        pk_feed(&s->pk, s->sniff, s->nsniff);
    }
}

static void
dispatch(struct reg_scan *s, const uint8_t *b, size_t n)
{
    switch (s->mode) {
    case M_SNIFF:
        while (n > 0 && s->nsniff < 4) {
            s->sniff[s->nsniff++] = *b++;
            n--;
        }
        if (s->nsniff == 4) {
            decide(s);
            dispatch(s, b, n);
        }
        break;
    case M_PICKLE:
        pk_feed(&s->pk, b, n);
        break;
    case M_ZIP:
        zip_feed(&s->zip, b, n);
        break;
    case M_NPY:
        npy_feed(&s->npy, b, n);
        break;
    case M_ST:
        st_feed(&s->st, b, n);
        break;
    case M_JSON:
        jdoc_feed(&s->jd, b, n);
        break;
    case M_NONE:
    case M_DIR:
        break;
    }
}

enum reg_status
reg_scan_feed(struct reg_scan *s, const void *buf, size_t len)
{
    if (len == 0 || reg_scan_done(s))
        return REG_OK;
    s->fed += len;
    dispatch(s, buf, len);
    return REG_OK;
}

bool
scan_is_zip(const struct reg_scan *s)
{
    return s->mode == M_ZIP;
}

struct zip *
scan_by_directory(struct reg_scan *s)
{
    enum zip_kind kind = s->zip.kind;

    zip_cleanup(&s->zip);
    zip_init(&s->zip, s, kind);
    s->mode = M_DIR;
    return &s->zip;
}

bool
reg_scan_done(const struct reg_scan *s)
{
    if (s->stopped)
        return true;
    switch (s->mode) {
    case M_NONE:
    case M_DIR:
        return true;
    case M_PICKLE:
        return s->pk.finished;
    case M_ZIP: /* the end record must end the file: done only at its known size */
        return s->zip.finished && s->size >= 0 && s->fed >= (uint64_t)s->size;
    case M_NPY:
        return s->npy.finished;
    case M_ST:
        return s->st.checked && s->size >= 0;
    case M_SNIFF:
    case M_JSON: /* a JSON document is judged whole */
        return false;
    }
    return false;
}

static void
end_reader(struct reg_scan *s)
{
    switch (s->mode) {
    case M_SNIFF:
        if (s->nsniff == 0) {
            scan_note(s, REG_SCAN_UNKNOWN, "empty file");
            break;
        }
        decide(s);
        end_reader(s);
        break;
    case M_PICKLE:
        pk_end(&s->pk);
        break;
    case M_ZIP:
        zip_end(&s->zip);
        break;
    case M_NPY:
        npy_end(&s->npy);
        break;
    case M_ST:
        st_end(&s->st, s->size >= 0 ? s->size : (int64_t)s->fed);
        break;
    case M_JSON:
        jdoc_end(&s->jd);
        break;
    case M_NONE:
    case M_DIR:
        break;
    }
}

static enum reg_scan_verdict
verdict_of(const struct reg_scan *s)
{
    if (s->seen[REG_SCAN_DANGEROUS])
        return REG_SCAN_DANGEROUS;
    if (s->seen[REG_SCAN_UNKNOWN])
        return REG_SCAN_UNKNOWN;
    if (s->seen[REG_SCAN_SUSPICIOUS])
        return REG_SCAN_SUSPICIOUS;
    return REG_SCAN_SAFE;
}

enum reg_status
reg_scan_end(struct reg_scan *s, struct reg_arena *a, struct reg_scan_result *out)
{
    memset(out, 0, sizeof(*out));
    /* safetensors is judged at the end too: the data section against the file's size. */
    if (!s->stopped && (s->mode == M_ST || !reg_scan_done(s)))
        end_reader(s);
    out->verdict = verdict_of(s);
    out->format = s->format;
    out->custom_code = s->custom_code;
    /* A count from a header found inconsistent is no count the size score should use. */
    out->parameters = out->verdict == REG_SCAN_UNKNOWN ? -1 : s->parameters;
    out->imports_truncated = s->imports_truncated;
    out->nimports = s->nimports;
    out->imports = reg_arena_alloc(a, sizeof(*out->imports) * (size_t)(s->nimports + 1));
    for (int i = 0; i < s->nimports; i++)
        out->imports[i] = reg_arena_strdup(a, s->imports[i]);
    if (s->seen[out->verdict])
        out->detail = reg_arena_strdup(a, s->detail[out->verdict]);
    else if (s->mode == M_NONE)
        out->detail = "not a model format the scanner reads";
    else if (s->nimports > 0)
        out->detail = reg_arena_sprintf(a, "%d import%s, all on the allow-list", s->nimports,
                                        s->nimports == 1 ? "" : "s");
    else
        out->detail = "nothing that runs code";
    return REG_OK;
}

void
reg_scan_free(struct reg_scan *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nimports; i++)
        free(s->imports[i]);
    if (s->mode == M_PICKLE)
        pk_cleanup(&s->pk);
    else if (s->mode == M_ZIP || s->mode == M_DIR)
        zip_cleanup(&s->zip);
    else if (s->mode == M_NPY)
        npy_cleanup(&s->npy);
    else if (s->mode == M_ST)
        st_cleanup(&s->st);
    else if (s->mode == M_JSON)
        jdoc_cleanup(&s->jd);
    free(s);
}

enum reg_status
reg_scan_buffer(const char *path, const void *buf, size_t len, struct reg_arena *a,
                struct reg_scan_result *out)
{
    struct reg_scan *s;
    enum reg_status st = reg_scan_begin(path, (int64_t)len, &s);

    if (st != REG_OK)
        return st;
    reg_scan_feed(s, buf, len);
    st = reg_scan_end(s, a, out);
    reg_scan_free(s);
    return st;
}

/* ---- policy ---- */

enum reg_status
reg_scan_policy_parse(const char *s, enum reg_scan_policy *out)
{
    if (!s || !*s || strcmp(s, "block") == 0)
        *out = REG_SCAN_POLICY_BLOCK;
    else if (strcmp(s, "flag") == 0)
        *out = REG_SCAN_POLICY_FLAG;
    else if (strcmp(s, "off") == 0)
        *out = REG_SCAN_POLICY_OFF;
    else
        return reg_errorf(REG_EINVAL, "REGISTRY_SCAN_POLICY must be block, flag or off, not '%s'",
                          s);
    return REG_OK;
}

const char *
reg_scan_policy_name(enum reg_scan_policy p)
{
    return p == REG_SCAN_POLICY_FLAG ? "flag" : p == REG_SCAN_POLICY_OFF ? "off" : "block";
}

bool
reg_scan_refuses(enum reg_scan_policy p, enum reg_scan_verdict v)
{
    return p == REG_SCAN_POLICY_BLOCK && (v == REG_SCAN_DANGEROUS || v == REG_SCAN_UNKNOWN);
}
