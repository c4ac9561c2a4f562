/*
 * test_scan.c - the model-file scanner (lib/scan) over files the tests build: pickles byte by
 * byte (protocols 0-4, GLOBAL, INST, STACK_GLOBAL through the memo, truncated, unknown
 * opcodes), the legacy torch format, PyTorch and Keras zips (stored and deflated, one with a
 * corrupt entry), numpy arrays, safetensors headers and config.json. Every file is also fed one
 * byte at a time (the same result as one buffer), and a 100 MB stream shows bounded memory.
 */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#define ZLIB_CONST
#include <zlib.h>

#include "arena_fixture.h"
#include "scan/scan.h"

/* lib/scan/scan_int.h's SCAN_ZIP_ENTRIES_MAX: entries a zip walk remembers. */
#define SCAN_ENTRIES_MAX 65536

/* ---- builders ---- */

struct bytes {
    uint8_t *b;
    size_t n, cap;
};

static void
put(struct bytes *o, const void *p, size_t n)
{
    if (o->n + n > o->cap) {
        o->cap = (o->n + n) * 2 + 64;
        o->b = realloc(o->b, o->cap);
        assert_non_null(o->b);
    }
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

/* A string literal, NULs included. */
#define LIT(o, s) put((o), (s), sizeof(s) - 1)

static void
puts_(struct bytes *o, const char *s)
{
    put(o, s, strlen(s));
}

static void
le(struct bytes *o, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        uint8_t c = (uint8_t)(v >> (8 * i));
        put(o, &c, 1);
    }
}

static void
op(struct bytes *o, uint8_t c)
{
    put(o, &c, 1);
}

/* SHORT_BINUNICODE s */
static void
pstr(struct bytes *o, const char *s)
{
    op(o, 0x8c);
    op(o, (uint8_t)strlen(s));
    puts_(o, s);
}

/* GLOBAL module\nname\n */
static void
pglobal(struct bytes *o, const char *module, const char *name)
{
    op(o, 'c');
    puts_(o, module);
    LIT(o, "\n");
    puts_(o, name);
    LIT(o, "\n");
}

/* A benign state dict as torch.save writes it (protocol 2): {"weight": a 2-float tensor}. */
static void
checkpoint_pickle(struct bytes *o)
{
    LIT(o, "\x80\x02");
    pglobal(o, "collections", "OrderedDict");
    LIT(o, "q\x00)Rq\x01");
    LIT(o, "X\x06\x00\x00\x00weightq\x02");
    pglobal(o, "torch._utils", "_rebuild_tensor_v2");
    LIT(o, "q\x03((X\x07\x00\x00\x00storageq\x04");
    pglobal(o, "torch", "FloatStorage");
    LIT(o, "q\x05X\x01\x00\x00\x00"
           "0q\x06X\x03\x00\x00\x00"
           "cpuq\x07K\x02tq\x08QK\x00K\x02\x85K\x01\x85\x89");
    pglobal(o, "collections", "OrderedDict");
    LIT(o, ")Rq\x09tq\x0aRq\x0bs.");
}

static const char os_system[] = "cos\nsystem\n(S'id'\ntR.";

struct zentry {
    const char *name;
    const void *data;
    size_t len;
    bool deflate;
    bool bad_crc;
    bool descriptor; /* flag bit 3: no sizes in the local header, a data descriptor after */
};

static size_t
raw_deflate(const void *in, size_t n, uint8_t *out, size_t cap)
{
    z_stream z = {0};

    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    deflateEnd(&z);
    return cap - z.avail_out;
}

/* What a central directory record says of an entry. */
struct zmeta {
    const char *name;
    uint32_t crc;
    uint64_t clen, len, offset;
    int method;
};

static void
local_header(struct bytes *o, const struct zmeta *m, bool descriptor)
{
    LIT(o, "PK\x03\x04");
    le(o, 20, 2);
    le(o, descriptor ? 0x808 : 0, 2);
    le(o, (uint64_t)m->method, 2);
    le(o, 0, 4);
    le(o, descriptor ? 0 : m->crc, 4);
    le(o, descriptor ? 0 : m->clen, 4);
    le(o, descriptor ? 0 : m->len, 4);
    le(o, strlen(m->name), 2);
    le(o, 0, 2);
    puts_(o, m->name);
}

static void
central_record(struct bytes *cd, const struct zmeta *m)
{
    LIT(cd, "PK\x01\x02");
    le(cd, 20, 2);
    le(cd, 20, 2);
    le(cd, 0, 2);
    le(cd, (uint64_t)m->method, 2);
    le(cd, 0, 4);
    le(cd, m->crc, 4);
    le(cd, m->clen, 4);
    le(cd, m->len, 4);
    le(cd, strlen(m->name), 2);
    le(cd, 0, 8);
    le(cd, 0, 4);
    le(cd, m->offset, 4);
    puts_(cd, m->name);
}

static void
end_of_zip(struct bytes *o, const struct bytes *cd, int n, uint64_t cd_offset)
{
    put(o, cd->b, cd->n);
    LIT(o, "PK\x05\x06");
    le(o, 0, 4);
    le(o, (uint64_t)n, 2);
    le(o, (uint64_t)n, 2);
    le(o, cd->n, 4);
    le(o, cd_offset, 4);
    le(o, 0, 2);
}

/* One entry at o's end; its central directory record into cd. */
static void
zip_entry(struct bytes *o, struct bytes *cd, const struct zentry *e)
{
    uint8_t *data = malloc(e->len * 2 + 64);
    struct zmeta m = {e->name, (uint32_t)crc32(0, e->data, (uInt)e->len),
                      e->len,  e->len,
                      o->n,    e->deflate ? 8 : 0};

    assert_non_null(data);
    if (e->bad_crc)
        m.crc ^= 1u;
    if (e->deflate)
        m.clen = raw_deflate(e->data, e->len, data, e->len * 2 + 64);
    else if (e->len > 0)
        memcpy(data, e->data, e->len);
    local_header(o, &m, e->descriptor);
    put(o, data, m.clen);
    if (e->descriptor) {
        LIT(o, "PK\x07\x08");
        le(o, m.crc, 4);
        le(o, m.clen, 4);
        le(o, m.len, 4);
    }
    central_record(cd, &m);
    free(data);
}

/* A zip of the entries: local headers (with sizes, or data descriptors), a central directory,
 * the end record. */
static void
zip(struct bytes *o, const struct zentry *e, int n)
{
    struct bytes cd = {0};
    uint64_t at;

    for (int i = 0; i < n; i++)
        zip_entry(o, &cd, &e[i]);
    at = o->n;
    end_of_zip(o, &cd, n, at);
    free(cd.b);
}

static void
safetensors(struct bytes *o, const char *header, size_t data)
{
    le(o, strlen(header), 8);
    puts_(o, header);
    for (size_t i = 0; i < data; i++)
        op(o, 0);
}

static void
npy(struct bytes *o, const char *descr)
{
    char h[128];
    int n =
        snprintf(h, sizeof(h), "{'descr': '%s', 'fortran_order': False, 'shape': (1,), }", descr);
    while ((n + 10 + 1) % 64 != 0)
        h[n++] = ' ';
    h[n++] = '\n';
    LIT(o, "\x93NUMPY\x01");
    op(o, 0);
    le(o, (uint64_t)n, 2);
    put(o, h, (size_t)n);
}

/* ---- checks ---- */

static bool
has_import(const struct reg_scan_result *r, const char *name)
{
    for (int i = 0; i < r->nimports; i++)
        if (strcmp(r->imports[i], name) == 0)
            return true;
    return false;
}

/* With SCAN_CORPUS_DIR set, every file scanned is also written there as a seed of the fuzzer
 * (tests/fuzz/fuzz_scan.c): a first byte naming the format as the harness's name table does,
 * then the file. */
static void
write_seed(const char *path, const void *buf, size_t len)
{
    static const struct {
        const char *suffix;
        int name; /* the index in fuzz_scan.c's names */
    } suffixes[] = {{".pkl", 0},   {".pickle", 0},     {".ckpt", 0}, {".bin", 1},
                    {".pt", 1},    {".npy", 2},        {".npz", 3},  {".safetensors", 4},
                    {".keras", 5}, {"config.json", 6}, {".txt", 7}};
    static int count;
    const char *dir = getenv("SCAN_CORPUS_DIR");
    char file[512];
    FILE *f;

    if (!dir)
        return;
    for (int i = 0; i < NELEMS(suffixes); i++) {
        size_t n = strlen(path), k = strlen(suffixes[i].suffix);
        if (n < k || strcmp(path + n - k, suffixes[i].suffix) != 0)
            continue;
        snprintf(file, sizeof(file), "%s/seed-%02d-%s", dir, count++,
                 suffixes[i].suffix + (suffixes[i].suffix[0] == '.'));
        f = fopen(file, "wb");
        assert_non_null(f);
        fputc(suffixes[i].name, f);
        fwrite(buf, 1, len, f);
        fclose(f);
        return;
    }
}

/* Scans the file as one buffer and one byte at a time: both must agree. */
static struct reg_scan_result
scan(struct reg_arena *a, const char *path, const void *buf, size_t len)
{
    struct reg_scan_result whole, bytewise;
    struct reg_scan *s;

    write_seed(path, buf, len);
    assert_int_equal(reg_scan_buffer(path, buf, len, a, &whole), REG_OK);
    assert_int_equal(reg_scan_begin(path, (int64_t)len, &s), REG_OK);
    for (size_t i = 0; i < len && !reg_scan_done(s); i++)
        assert_int_equal(reg_scan_feed(s, (const uint8_t *)buf + i, 1), REG_OK);
    assert_int_equal(reg_scan_end(s, a, &bytewise), REG_OK);
    reg_scan_free(s);
    assert_int_equal(bytewise.verdict, whole.verdict);
    assert_int_equal(bytewise.nimports, whole.nimports);
    assert_string_equal(bytewise.detail, whole.detail);
    assert_int_equal(bytewise.parameters, whole.parameters);
    assert_int_equal(bytewise.custom_code, whole.custom_code);
    return whole;
}

static void
expect(struct reg_scan_result r, enum reg_scan_verdict v, const char *detail_part)
{
    if (r.verdict != v || (detail_part && !strstr(r.detail, detail_part)))
        fail_msg("verdict %s (%s), want %s with '%s'", reg_scan_verdict_name(r.verdict), r.detail,
                 reg_scan_verdict_name(v), detail_part ? detail_part : "");
}

/* ---- pickles ---- */

static void
test_protocol0_os_system(void **state)
{
    struct reg_scan_result r = scan(*state, "model.pkl", os_system, strlen(os_system));

    expect(r, REG_SCAN_DANGEROUS, "os.system");
    assert_true(has_import(&r, "os.system"));
    assert_int_equal(r.nimports, 1);
    assert_non_null(strstr(r.detail, "GLOBAL at byte 0"));
    assert_int_equal(r.format, REG_SCAN_FORMAT_PICKLE);
}

static void
test_inst(void **state)
{
    const char p[] = "(S'id'\nisubprocess\ncheck_output\n.";
    struct reg_scan_result r = scan(*state, "x.pickle", p, strlen(p));

    expect(r, REG_SCAN_DANGEROUS, "INST");
    assert_true(has_import(&r, "subprocess.check_output"));
}

static void
test_stack_global_via_binget(void **state)
{
    struct bytes o = {0};
    struct reg_scan_result r;

    LIT(&o, "\x80\x04");
    pstr(&o, "builtins");
    op(&o, 0x94); /* MEMOIZE: memo[0] */
    op(&o, '0');
    LIT(&o, "h\x00"); /* BINGET 0 */
    pstr(&o, "eval");
    op(&o, 0x93);
    pstr(&o, "1+1");
    LIT(&o, "\x85R.");
    r = scan(*state, "x.pt", o.b, o.n);
    expect(r, REG_SCAN_DANGEROUS, "builtins.eval");
    assert_non_null(strstr(r.detail, "STACK_GLOBAL"));
    free(o.b);
}

static void
test_memo_confusion(void **state)
{
    struct bytes o = {0};
    struct reg_scan_result r;

    /* memo[0] holds "collections", then is overwritten by "posix": the model must follow. */
    LIT(&o, "\x80\x04");
    pstr(&o, "collections");
    LIT(&o, "q\x00"
            "0");
    pstr(&o, "posix");
    LIT(&o, "q\x00"
            "0");
    LIT(&o, "h\x00");
    pstr(&o, "system");
    op(&o, 0x93);
    pstr(&o, "id");
    LIT(&o, "\x85R.");
    r = scan(*state, "m.bin", o.b, o.n);
    expect(r, REG_SCAN_DANGEROUS, "posix.system");
    assert_false(has_import(&r, "collections.system"));
    free(o.b);

    /* A string slot overwritten by a dict: the operand is no string, the import unnamed. */
    memset(&o, 0, sizeof(o));
    LIT(&o, "\x80\x04");
    pstr(&o, "collections");
    LIT(&o, "q\x01"
            "0}q\x01"
            "0h\x01");
    pstr(&o, "OrderedDict");
    LIT(&o, "\x93).");
    r = scan(*state, "m.bin", o.b, o.n);
    expect(r, REG_SCAN_DANGEROUS, "unknown");
    assert_true(has_import(&r, "unknown"));
    free(o.b);
}

static void
test_benign_checkpoint(void **state)
{
    struct bytes o = {0};
    struct reg_scan_result r;

    checkpoint_pickle(&o);
    r = scan(*state, "pytorch_model.bin", o.b, o.n);
    expect(r, REG_SCAN_SAFE, "3 imports");
    assert_true(has_import(&r, "collections.OrderedDict"));
    assert_true(has_import(&r, "torch._utils._rebuild_tensor_v2"));
    assert_true(has_import(&r, "torch.FloatStorage"));
    assert_int_equal(r.parameters, -1);
    free(o.b);
}

static void
test_truncated_and_unknown_opcode(void **state)
{
    struct bytes o = {0};
    const char bad[] = "\x80\x02\xff.";

    checkpoint_pickle(&o);
    expect(scan(*state, "a.pkl", o.b, o.n - 1), REG_SCAN_UNKNOWN, "without STOP");
    expect(scan(*state, "a.pkl", o.b, o.n - 5), REG_SCAN_UNKNOWN, "truncated");
    expect(scan(*state, "a.pkl", bad, 4), REG_SCAN_UNKNOWN, "unknown opcode at byte 2");
    expect(scan(*state, "a.pkl", "", 0), REG_SCAN_UNKNOWN, "empty");
    expect(scan(*state, "a.pkl", ")0.", 3), REG_SCAN_UNKNOWN, "underflow");
    /* No pickle starts with a byte that is no opcode: unpickling fails before it calls anything
     * (a CoreML weight.bin, a GGML file), so such a file is not one, even when it ends early. */
    expect(scan(*state, "weight.bin", "\x00\x01\x02\x03cos\nsystem\n", 14), REG_SCAN_SAFE,
           "not a pickle or a zip (byte 0 is 0x00");
    expect(scan(*state, "ggml-model.bin", "\xff", 1), REG_SCAN_SAFE, "byte 0 is 0xff");
    free(o.b);
}

/* Pickles no pickler writes: each stops the walk as unknown, with the reason and where. */
static void
test_pickle_malformed(void **state)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *detail;
    } cases[] = {
#define C(lit, detail) {lit, sizeof(lit) - 1, detail}
        C("\x80\x02t.", "no MARK on the stack at byte 2"),
        C("\x80\x04\x94.", "memo store of an empty stack at byte 2"),
        C("\x80\x02"
          "2.",
          "stack underflow at byte 2"),
        C("(2.", "stack underflow at byte 1"),
        C("}K\x01s.", "stack underflow at byte 4"),
        C("Sabc\n.", "STRING argument not quoted at byte 0"),
        C("S'a\n.", "STRING argument not quoted"),
        C("gx\n.", "bad memo index at byte 0"),
        C("g1234567890123456789\n.", "bad memo index"),
        C("\x80\x06.", "unsupported protocol at byte 0"),
#undef C
    };
    int bad = 0;

    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_scan_result r = scan(*state, "m.pkl", cases[i].bytes, cases[i].len);

        CHECK(&bad, r.verdict == REG_SCAN_UNKNOWN && strstr(r.detail, cases[i].detail),
              "case %d: %s (%s), want unknown with '%s'", i, reg_scan_verdict_name(r.verdict),
              r.detail, cases[i].detail);
    }
    assert_int_equal(bad, 0);
}

/* Names on the modelled stack are kept (SCAN_POOL_MAX bytes, 256 KiB, in all): 1100 strings
 * of 250 bytes are past it, and the file is unknown rather than walked on unbounded. */
static void
test_pickle_string_pool(void **state)
{
    struct bytes o = {0};
    char text[251];

    memset(text, 'a', 250);
    text[250] = '\0';
    LIT(&o, "\x80\x04(");
    for (int i = 0; i < 1100; i++)
        pstr(&o, text);
    LIT(&o, "t.");
    expect(scan(*state, "m.pkl", o.b, o.n), REG_SCAN_UNKNOWN,
           "strings on the stack exceed the scanner's bound");
    free(o.b);
}

static void
test_suspicious_import(void **state)
{
    const char p[] = "cmylib.models\nNet\n)R.";
    struct reg_scan_result r = scan(*state, "a.ckpt", p, strlen(p));
    struct bytes o = {0};

    expect(r, REG_SCAN_SUSPICIOUS, "mylib.models.Net is on neither list");

    /* Control characters and other bytes in a name are shown as '?'. */
    LIT(&o, "\x80\x04");
    pstr(&o, "my\tmod\xc3\xa9");
    pstr(&o, "x\ny");
    LIT(&o, "\x93).");
    r = scan(*state, "a.pkl", o.b, o.n);
    expect(r, REG_SCAN_SUSPICIOUS, "my?mod??.x?y is on neither list");
    assert_true(has_import(&r, "my?mod??.x?y"));
    free(o.b);
}

/* The model's bounds: past one, where it matters, the file is unknown, never clean. */
static void
test_bounds(void **state)
{
    struct bytes o = {0};
    char longname[301];
    char key[16];

    /* A STACK_GLOBAL operand longer than the scanner keeps. */
    memset(longname, 'a', 300);
    longname[300] = '\0';
    LIT(&o, "\x80\x04X");
    le(&o, 300, 4);
    puts_(&o, longname);
    pstr(&o, "system");
    LIT(&o, "\x93).");
    expect(scan(*state, "a.pkl", o.b, o.n), REG_SCAN_UNKNOWN, "did not keep");
    free(o.b);

    /* A stack deeper than the model. */
    memset(&o, 0, sizeof(o));
    LIT(&o, "\x80\x04");
    for (int i = 0; i < 16385; i++)
        op(&o, '(');
    expect(scan(*state, "a.pkl", o.b, o.n), REG_SCAN_UNKNOWN, "stack deeper");
    free(o.b);

    /* More memoized strings than the memo keeps: a lookup of one not kept is unknown. */
    memset(&o, 0, sizeof(o));
    LIT(&o, "\x80\x04");
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        pstr(&o, key);
        LIT(&o, "\x94"
                "0");
    }
    LIT(&o, "j");
    le(&o, 999, 4); /* LONG_BINGET 999 */
    pstr(&o, "x");
    LIT(&o, "\x93).");
    expect(scan(*state, "a.pkl", o.b, o.n), REG_SCAN_UNKNOWN, "did not keep");
    free(o.b);

    /* PUT and MEMOIZE mixed: MEMOIZE's index is the memo's length, which the scanner cannot
     * know; no lookup is trusted. */
    memset(&o, 0, sizeof(o));
    LIT(&o, "\x80\x04");
    pstr(&o, "os");
    LIT(&o, "q\x05\x94"
            "0h\x05");
    pstr(&o, "system");
    LIT(&o, "\x93).");
    expect(scan(*state, "a.pkl", o.b, o.n), REG_SCAN_UNKNOWN, "did not keep");
    free(o.b);

    /* An extension code names an import by number: unknown, judged dangerous. */
    memset(&o, 0, sizeof(o));
    LIT(&o, "\x80\x02\x82\x01).");
    expect(scan(*state, "a.pkl", o.b, o.n), REG_SCAN_DANGEROUS, "(EXT1 at byte 2)");
    free(o.b);
}

/* torch.save's legacy format: magic, protocol, sys_info, model, storage keys, raw storages. */
static void
legacy(struct bytes *o, bool malicious, int pickles)
{
    const char *parts[] = {"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.",
                           "\x80\x02M\xe9\x03.", "\x80\x02}q\x00.", NULL,
                           "\x80\x02]q\x00X\x01\x00\x00\x00\x30\x61."};

    const size_t lens[] = {15, 6, 6, 0, 13};

    for (int i = 0; i < pickles; i++) {
        if (i == 3 && malicious)
            puts_(o, os_system);
        else if (i == 3)
            checkpoint_pickle(o);
        else
            put(o, parts[i], lens[i]);
    }
}

static void
test_legacy_torch(void **state)
{
    struct bytes o = {0};

    legacy(&o, false, 5);
    le(&o, 2, 8); /* the storage's element count, then its raw bytes: not pickles */
    LIT(&o, "\x80\x02\xff\xff\xff\xff\x00\x00");
    expect(scan(*state, "old.pt", o.b, o.n), REG_SCAN_SAFE, "allow-list");
    free(o.b);

    /* Saved with protocol 4: a FRAME before the magic number; the storages' first byte
     * happens to be PROTO, which must not be read as a sixth pickle. */
    memset(&o, 0, sizeof(o));
    LIT(&o, "\x80\x04\x95\x0d\x00\x00\x00\x00\x00\x00\x00\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a"
            "\xa8\x50\x19.");
    LIT(&o, "\x80\x04M\xe9\x03.\x80\x04}.");
    checkpoint_pickle(&o);
    LIT(&o, "\x80\x04]\x8c\x01\x30\x61.");
    LIT(&o, "\x80\x00\x00\x00\x00\x00\x00\x00\xff\xff");
    expect(scan(*state, "old.pt", o.b, o.n), REG_SCAN_SAFE, "allow-list");
    free(o.b);

    memset(&o, 0, sizeof(o));
    legacy(&o, true, 5);
    LIT(&o, "\x01\x02\x03");
    expect(scan(*state, "old.pt", o.b, o.n), REG_SCAN_DANGEROUS, "os.system");
    free(o.b);

    memset(&o, 0, sizeof(o));
    legacy(&o, false, 3);
    expect(scan(*state, "old.pt", o.b, o.n), REG_SCAN_UNKNOWN, "five pickles");
    free(o.b);
}

/* ---- zips ---- */

static void
test_torch_zip(void **state)
{
    struct bytes pk = {0}, o = {0};
    struct reg_scan_result r;

    checkpoint_pickle(&pk);
    {
        const struct zentry e[] = {
            {"archive/data.pkl", pk.b, pk.n, false, false, true},
            {"archive/data/0", "\0\0\0\0\0\0\0\0", 8, false, false, true},
            {"archive/version", "3\n", 2, true, false, false},
        };
        zip(&o, e, 3);
    }
    r = scan(*state, "pytorch_model.bin", o.b, o.n);
    expect(r, REG_SCAN_SAFE, NULL);
    assert_int_equal(r.nimports, 3);
    free(o.b);

    memset(&o, 0, sizeof(o));
    {
        const struct zentry e[] = {
            {"archive/version", "3\n", 2, false, false, false},
            {"archive/data.pkl", os_system, strlen(os_system), true, false, false},
        };
        zip(&o, e, 2);
    }
    r = scan(*state, "evil.pt", o.b, o.n);
    expect(r, REG_SCAN_DANGEROUS, "(GLOBAL at byte 0 of archive/data.pkl)");
    /* Cut short: the central directory never comes. */
    expect(scan(*state, "evil.pt", o.b, o.n - 60), REG_SCAN_DANGEROUS, NULL);
    free(o.b);
    free(pk.b);
}

static void
test_zip_corrupt_entry_before_pickle(void **state)
{
    struct bytes pk = {0}, o = {0};
    uint8_t garbage[64];

    checkpoint_pickle(&pk);
    {
        const struct zentry e[] = {
            {"archive/version", "3\n", 2, false, true, false},
            {"archive/data.pkl", os_system, strlen(os_system), false, false, false},
        };
        zip(&o, e, 2);
    }
    expect(scan(*state, "m.pt", o.b, o.n), REG_SCAN_UNKNOWN, "CRC-32 mismatch");
    free(o.b);

    /* A deflated entry whose data is no deflate stream. */
    memset(&o, 0, sizeof(o));
    {
        const struct zentry e[] = {
            {"archive/extra.bin", pk.b, pk.n, true, false, false},
            {"archive/data.pkl", pk.b, pk.n, false, false, false},
        };
        zip(&o, e, 2);
    }
    memset(garbage, 0xff, sizeof(garbage));
    memcpy(o.b + 30 + strlen("archive/extra.bin"), garbage, 8);
    expect(scan(*state, "m.pt", o.b, o.n), REG_SCAN_UNKNOWN, "archive/extra.bin");
    /* A safe zip cut short is unknown, never clean. */
    expect(scan(*state, "m.pt", o.b, 40), REG_SCAN_UNKNOWN, NULL);
    free(o.b);
    free(pk.b);
}

/* ---- zips that break the format ---- */

/* A checkpoint zip: archive/data.pkl (the benign pickle, deflated when asked) and
 * archive/version, both with their sizes in the local headers. */
static void
base_zip(struct bytes *o, bool deflated)
{
    struct bytes pk = {0};

    checkpoint_pickle(&pk);
    {
        const struct zentry e[] = {
            {"archive/data.pkl", pk.b, pk.n, deflated, false, false},
            {"archive/version", "3\n", 2, false, false, false},
        };
        zip(o, e, 2);
    }
    free(pk.b);
}

/* The offset of the n-th (0-based) occurrence of the 4-byte signature sig in o. */
static size_t
find_sig(const struct bytes *o, const char *sig, int n)
{
    for (size_t i = 0; i + 4 <= o->n; i++)
        if (memcmp(o->b + i, sig, 4) == 0 && n-- == 0)
            return i;
    fail_msg("signature %d not found", n);
    return 0;
}

static void
set_le(struct bytes *o, size_t at, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        o->b[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* One field of a header overwritten: where (the signature and its occurrence, an offset in
 * the record), with what, and the note the scanner must give. */
struct zpatch {
    const char *sig;
    int occurrence;
    size_t field;
    uint64_t value;
    int width;
    bool deflated;
    const char *detail;
};

/* Each header field that lies makes the zip unknown, with a note that says which entry and
 * why; never safe, whatever the pickle inside. */
static void
test_zip_patched_headers(void **state)
{
    static const char local[] = "PK\x03\x04", central[] = "PK\x01\x02";
    static const struct zpatch cases[] = {
        {local, 0, 6, 1, 2, false, "('archive/data.pkl' at byte 0): encrypted"},
        {local, 0, 8, 99, 2, false, "compression method the scanner does not read"},
        {local, 0, 22, 5, 4, false, "('archive/data.pkl' at byte 0): sizes differ from the data"},
        {local, 0, 26, 0, 2, false, "zip entry 0 ('' at byte 0): name empty or too long"},
        {local, 0, 26, 2000, 2, false, "name empty or too long"},
        {local, 0, 31, 0, 1, false, "NUL in the name"},
        {local, 0, 18, 2, 4, true, "deflate data ends before its stream does"},
        {local, 1, 0, 0x58585858, 4, false, "no zip record where one should start"},
        {central, 0, 28, 0, 2, false, "zip central directory entry 0"},
        {central, 1, 42, 0, 4, false, "differs from the local header it should describe"},
    };
    int bad = 0;

    for (int i = 0; i < NELEMS(cases); i++) {
        const struct zpatch *c = &cases[i];
        struct bytes o = {0};
        struct reg_scan_result r;

        base_zip(&o, c->deflated);
        set_le(&o, find_sig(&o, c->sig, c->occurrence) + c->field, c->value, c->width);
        r = scan(*state, "model.pt", o.b, o.n);
        CHECK(&bad, r.verdict == REG_SCAN_UNKNOWN && strstr(r.detail, c->detail),
              "case %d: %s (%s), want unknown with '%s'", i, reg_scan_verdict_name(r.verdict),
              r.detail, c->detail);
        free(o.b);
    }
    assert_int_equal(bad, 0);
}

/* Directories that disagree with the entries: one record too many, one too few, the end record
 * missing; a checkpoint without a pickle and a Keras zip without its config. */
static void
test_zip_directory_mismatch(void **state)
{
    struct bytes pk = {0}, o = {0}, cd = {0}, cd2 = {0};
    uint64_t at;

    checkpoint_pickle(&pk);
    {
        const struct zentry a = {"archive/data.pkl", pk.b, pk.n, false, false, false};
        const struct zentry b = {"archive/version", "3\n", 2, false, false, false};

        /* Two central records for one entry. */
        zip_entry(&o, &cd, &a);
        at = o.n;
        put(&cd2, cd.b, cd.n);
        put(&cd, cd2.b, cd2.n);
        end_of_zip(&o, &cd, 2, at);
        expect(scan(*state, "model.pt", o.b, o.n), REG_SCAN_UNKNOWN,
               "an entry the local headers do not have");
        free(o.b);
        free(cd.b);
        free(cd2.b);

        /* Two entries, one central record. */
        memset(&o, 0, sizeof(o));
        memset(&cd, 0, sizeof(cd));
        memset(&cd2, 0, sizeof(cd2));
        zip_entry(&o, &cd, &a);
        zip_entry(&o, &cd2, &b);
        at = o.n;
        end_of_zip(&o, &cd, 1, at);
        expect(scan(*state, "model.pt", o.b, o.n), REG_SCAN_UNKNOWN,
               "the central directory lists fewer entries than the file holds");
        free(o.b);
        free(cd.b);
        free(cd2.b);
    }
    memset(&o, 0, sizeof(o));
    base_zip(&o, false);
    expect(scan(*state, "model.pt", o.b, o.n - 22), REG_SCAN_UNKNOWN,
           "the file ends before the zip's end record (truncated)");
    free(o.b);

    memset(&o, 0, sizeof(o));
    {
        const struct zentry e[] = {{"archive/version", "3\n", 2, false, false, false}};
        zip(&o, e, 1);
    }
    expect(scan(*state, "model.pt", o.b, o.n), REG_SCAN_UNKNOWN,
           "zip: no pickle (*.pkl) in the checkpoint");
    free(o.b);

    memset(&o, 0, sizeof(o));
    {
        const struct zentry e[] = {{"model.weights.h5", "\x89HDF", 4, false, false, false}};
        zip(&o, e, 1);
    }
    expect(scan(*state, "model.keras", o.b, o.n), REG_SCAN_UNKNOWN,
           "keras: no config.json in the zip");
    free(o.b);
    free(pk.b);
}

/* More entries than the scanner remembers for the central directory: unknown, not a crash and
 * not a pass. */
static void
test_zip_too_many_entries(void **state)
{
    struct bytes o = {0}, cd = {0};
    struct reg_scan_result r;
    char name[32];
    uint64_t at;

    for (int i = 0; i <= SCAN_ENTRIES_MAX; i++) {
        const struct zentry e = {name, "x", 1, false, false, false};

        snprintf(name, sizeof(name), "w/%d", i);
        zip_entry(&o, &cd, &e);
    }
    at = o.n;
    end_of_zip(&o, &cd, 0xffff, at);
    assert_int_equal(reg_scan_buffer("model.pt", o.b, o.n, *state, &r), REG_OK);
    expect(r, REG_SCAN_UNKNOWN, "more entries than the scanner checks");
    free(o.b);
    free(cd.b);
}

/* ---- files scanned where they lie (reg_scan_remote) ---- */

/* A file in memory read by range, in pieces of 7 bytes (the sink sees arbitrary cuts). */
struct remote_file {
    const uint8_t *b;
    size_t n;
    bool fail; /* every read fails, as an unreachable upstream would */
};

static enum reg_status
read_memory(void *ctx, int64_t offset, int64_t len, reg_scan_sink_fn sink, void *sink_ctx)
{
    const struct remote_file *f = ctx;
    size_t end = len < 0 || (uint64_t)(offset + len) > f->n ? f->n : (size_t)(offset + len);

    if (f->fail)
        return reg_errorf(REG_EUPSTREAM, "upstream down");
    for (size_t at = (size_t)offset; at < end; at += 7)
        if (!sink(sink_ctx, f->b + at, end - at < 7 ? end - at : 7))
            break;
    return REG_OK;
}

/* Scans buf as path through reg_scan_remote; *src tells what was read. */
static struct reg_scan_result
scan_remote(struct reg_arena *a, const char *path, const void *buf, size_t len, int64_t whole_max,
            struct reg_scan_source *src)
{
    struct remote_file f = {buf, len, false};
    struct reg_scan_result r;

    *src = (struct reg_scan_source){read_memory, &f, (int64_t)len, whole_max, 0, 0, false};
    assert_int_equal(reg_scan_remote(path, src, a, &r), REG_OK);
    return r;
}

/* A PyTorch checkpoint with 1 MiB of tensor data after its pickle: read by its directory, the
 * pickle decides and the data is not fetched; read whole, the same verdict. */
static void
test_remote_torch_zip(void **state)
{
    struct bytes pk = {0}, o = {0};
    struct reg_scan_source src;
    struct reg_scan_result r;
    uint8_t *data = calloc(1, 1 << 20);

    assert_non_null(data);
    checkpoint_pickle(&pk);
    {
        const struct zentry e[] = {
            {"archive/data.pkl", pk.b, pk.n, false, false, false},
            {"archive/data/0", data, 1 << 20, false, false, false},
            {"archive/version", "3\n", 2, true, false, false},
        };
        zip(&o, e, 3);
    }
    r = scan_remote(*state, "pytorch_model.bin", o.b, o.n, 4096, &src);
    expect(r, REG_SCAN_SAFE, "read by its central directory: 1 entry");
    assert_int_equal(r.nimports, 3);
    assert_true(src.by_directory);
    assert_true(src.bytes_read < 100 * 1024);
    r = scan_remote(*state, "pytorch_model.bin", o.b, o.n, 0, &src);
    expect(r, REG_SCAN_SAFE, "3 imports");
    assert_false(src.by_directory);
    assert_int_equal(src.bytes_read, (int64_t)o.n);
    free(o.b);

    /* The malicious pickle, deflated, after a large entry: found by the directory. */
    memset(&o, 0, sizeof(o));
    {
        const struct zentry e[] = {
            {"archive/data/0", data, 1 << 20, false, false, false},
            {"archive/data.pkl", os_system, strlen(os_system), true, false, false},
        };
        zip(&o, e, 2);
    }
    r = scan_remote(*state, "evil.pt", o.b, o.n, 4096, &src);
    expect(r, REG_SCAN_DANGEROUS, "os.system");
    assert_true(src.by_directory);
    assert_true(src.bytes_read < 100 * 1024);
    free(o.b);

    /* A corrupt entry the directory read does not fetch is seen only by a whole read; a
     * corrupt pickle entry, by both. */
    memset(&o, 0, sizeof(o));
    {
        const struct zentry e[] = {
            {"archive/data/0", data, 1 << 20, false, true, false},
            {"archive/data.pkl", pk.b, pk.n, false, false, false},
        };
        zip(&o, e, 2);
    }
    expect(scan_remote(*state, "m.bin", o.b, o.n, 4096, &src), REG_SCAN_SAFE, "directory");
    expect(scan_remote(*state, "m.bin", o.b, o.n, 0, &src), REG_SCAN_UNKNOWN, "CRC-32");
    free(o.b);
    memset(&o, 0, sizeof(o));
    {
        const struct zentry e[] = {
            {"archive/data/0", data, 1 << 20, false, false, false},
            {"archive/data.pkl", pk.b, pk.n, false, true, false},
        };
        zip(&o, e, 2);
    }
    expect(scan_remote(*state, "m.bin", o.b, o.n, 4096, &src), REG_SCAN_UNKNOWN,
           "'archive/data.pkl' (read by the central directory): CRC-32 mismatch");
    /* Cut short (the listing says more than there is): no end record. */
    expect(scan_remote(*state, "m.bin", o.b, o.n - 10, 4096, &src), REG_SCAN_UNKNOWN,
           "no end record");
    free(o.b);
    free(pk.b);
    free(data);
}

/* A zip read by its central directory (reg_scan_remote on a file larger than whole_max), whose
 * directory, end record or local headers lie: unknown, with the reason, and never safe. */
static void
test_remote_zip_malformed(void **state)
{
    static const char local[] = "PK\x03\x04", central[] = "PK\x01\x02", end[] = "PK\x05\x06";
    static const struct zpatch cases[] = {
        {central, 0, 42, 4, 4, false, "no local header where the central directory says"},
        {local, 0, 8, 8, 2, false, "the local header's method differs from the central"},
        {local, 0, 26, 5, 2, false, "the local header names another entry"},
        {local, 0, 30, 'X', 1, false, "the local header names another entry"},
        {central, 0, 8, 1, 2, false, "zip entry 'archive/data.pkl': encrypted"},
        {central, 0, 10, 99, 2, false, "compression method the scanner does not read"},
        {central, 0, 16, 7, 4, false, "(read by the central directory): CRC-32 mismatch"},
        {central, 0, 24, 5, 4, false, "sizes differ from the data"},
        {central, 0, 20, 2, 4, true, "deflate data ends before its stream does"},
        {central, 0, 42, 0x7fffffff, 4, false, "its header lies past the end of the file"},
        {central, 1, 28, 60000, 2, false, "1 of its 2 entries readable"},
        {end, 0, 0, 0x58585858, 4, false, "zip: no end record at the end of the file"},
        {end, 0, 10, 0xffff, 2, false, "a Zip64 end record is needed and missing"},
        {end, 0, 16, 0x7ffffff0, 4, false, "zip: a central directory of"},
    };
    int bad = 0;

    for (int i = 0; i < NELEMS(cases); i++) {
        const struct zpatch *c = &cases[i];
        struct bytes o = {0};
        struct reg_scan_source src;
        struct reg_scan_result r;

        base_zip(&o, c->deflated);
        set_le(&o, find_sig(&o, c->sig, c->occurrence) + c->field, c->value, c->width);
        r = scan_remote(*state, "model.pt", o.b, o.n, 64, &src);
        CHECK(&bad,
              src.by_directory && r.verdict == REG_SCAN_UNKNOWN && strstr(r.detail, c->detail),
              "case %d: %s (%s), want unknown with '%s'", i, reg_scan_verdict_name(r.verdict),
              r.detail, c->detail);
        free(o.b);
    }
    assert_int_equal(bad, 0);
}

static la_ssize_t
to_bytes(struct archive *ar, void *ctx, const void *data, size_t n)
{
    (void)ar;
    put(ctx, data, n);
    return (la_ssize_t)n;
}

/* A checkpoint zip as libarchive writes it with Zip64 forced (zip:zip64): Zip64 extra fields,
 * data descriptors, the Zip64 end record and its locator; stored or deflated. */
static void
zip64_checkpoint(struct bytes *o, const struct bytes *pk, bool deflate)
{
    struct archive *w = archive_write_new();
    struct archive_entry *e = archive_entry_new();

    assert_int_equal(archive_write_set_format_zip(w), ARCHIVE_OK);
    assert_int_equal(archive_write_set_options(w, "zip:zip64"), ARCHIVE_OK);
    if (!deflate)
        assert_int_equal(archive_write_zip_set_compression_store(w), ARCHIVE_OK);
    assert_int_equal(archive_write_set_bytes_in_last_block(w, 1), ARCHIVE_OK);
    assert_int_equal(archive_write_open(w, o, NULL, to_bytes, NULL), ARCHIVE_OK);
    archive_entry_set_pathname(e, "archive/data.pkl");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)pk->n);
    assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(w, pk->b, pk->n), (la_ssize_t)pk->n);
    archive_entry_free(e);
    assert_int_equal(archive_write_close(w), ARCHIVE_OK);
    archive_write_free(w);
}

/* Zip64 checkpoints are read as such, streamed and by their central directory: the pickle
 * inside decides, safe or dangerous. */
static void
test_zip64(void **state)
{
    struct bytes pk = {0}, evil = {0};
    struct reg_scan_source src;
    struct reg_scan_result r;

    checkpoint_pickle(&pk);
    LIT(&evil, "cos\nsystem\n(S'id'\ntR.");
    for (int deflate = 0; deflate <= 1; deflate++) {
        struct bytes o = {0};

        zip64_checkpoint(&o, &pk, deflate);
        assert_true(find_sig(&o, "PK\x06\x06", 0) > 0); /* the Zip64 end record */
        expect(scan(*state, "model.pt", o.b, o.n), REG_SCAN_SAFE, NULL);
        r = scan_remote(*state, "model.pt", o.b, o.n, 64, &src);
        expect(r, REG_SCAN_SAFE, "read by its central directory");
        assert_true(src.by_directory);
        free(o.b);

        memset(&o, 0, sizeof(o));
        zip64_checkpoint(&o, &evil, deflate);
        expect(scan(*state, "model.pt", o.b, o.n), REG_SCAN_DANGEROUS, "os.system");
        expect(scan_remote(*state, "model.pt", o.b, o.n, 64, &src), REG_SCAN_DANGEROUS,
               "os.system");
        free(o.b);
    }
    free(pk.b);
    free(evil.b);
}

/* Files that are not big zips are read from their start until the verdict is in. */
static void
test_remote_stops_early(void **state)
{
    struct bytes o = {0};
    struct reg_scan_source src;
    struct remote_file down = {(const uint8_t *)"x", 1, true};
    struct reg_scan_result r;

    safetensors(&o, "{\"w\":{\"dtype\":\"F32\",\"shape\":[65536],\"data_offsets\":[0,262144]}}",
                262144);
    r = scan_remote(*state, "model.safetensors", o.b, o.n, 0, &src);
    expect(r, REG_SCAN_SAFE, NULL);
    assert_int_equal(r.parameters, 65536);
    assert_true(src.bytes_read < 1024);
    free(o.b);

    /* The legacy torch format is read to its fifth pickle, not through the tensor data. */
    memset(&o, 0, sizeof(o));
    legacy(&o, true, 5);
    for (int i = 0; i < 65536; i++)
        op(&o, 0);
    r = scan_remote(*state, "pytorch_model.bin", o.b, o.n, 0, &src);
    expect(r, REG_SCAN_DANGEROUS, NULL);
    assert_true(src.bytes_read < (int64_t)o.n - 60000);
    free(o.b);

    /* A file that cannot be read is a failure to report, not a verdict. */
    src = (struct reg_scan_source){read_memory, &down, 100, 0, 0, 0, false};
    assert_int_equal(reg_scan_remote("model.safetensors", &src, *state, &r), REG_EUPSTREAM);
}

/* A stored entry without sizes hiding a descriptor of its own first bytes, then a second zip
 * appended after the end record, then a central directory that disagrees: never clean. */
static void
test_zip_confusion(void **state)
{
    struct bytes pk = {0}, data = {0}, o = {0};

    checkpoint_pickle(&pk);
    put(&data, pk.b, pk.n);
    LIT(&data, "PK\x07\x08");
    le(&data, (uint32_t)crc32(0, pk.b, (uInt)pk.n), 4);
    le(&data, pk.n, 4);
    le(&data, pk.n, 4);
    puts_(&data, os_system);
    {
        const struct zentry e[] = {{"archive/data.pkl", data.b, data.n, false, false, true}};
        zip(&o, e, 1);
    }
    expect(scan(*state, "m.pt", o.b, o.n), REG_SCAN_UNKNOWN, NULL);
    free(o.b);

    /* Appended: the first zip is clean, unzip reads the second. */
    memset(&o, 0, sizeof(o));
    {
        const struct zentry e[] = {{"archive/data.pkl", pk.b, pk.n, false, false, false}};
        const struct zentry bad[] = {
            {"archive/data.pkl", os_system, strlen(os_system), false, false, false}};
        zip(&o, e, 1);
        zip(&o, bad, 1);
    }
    expect(scan(*state, "m.pt", o.b, o.n), REG_SCAN_UNKNOWN, "bytes after the end record");
    {
        struct reg_scan_result r;
        size_t first = 4;
        /* Only the clean first zip, then junk where nothing may follow. */
        while (memcmp(o.b + first, "PK\x03\x04", 4) != 0)
            first++;
        memcpy(o.b + first, "JUNK", 4);
        r = scan(*state, "m.pt", o.b, o.n);
        expect(r, REG_SCAN_UNKNOWN, "bytes after the end record");
    }
    free(o.b);

    /* A central directory naming another size than the local header walked. */
    memset(&o, 0, sizeof(o));
    {
        const struct zentry e[] = {{"archive/data.pkl", pk.b, pk.n, false, false, false}};
        zip(&o, e, 1);
    }
    o.b[o.n - 22 - strlen("archive/data.pkl") - 46 + 20] ^= 1; /* its compressed size */
    expect(scan(*state, "m.pt", o.b, o.n), REG_SCAN_UNKNOWN, "differs from the local header");
    free(o.b);
    free(pk.b);
    free(data.b);
}

static void
test_keras(void **state)
{
    const char lambda[] =
        "{\"class_name\": \"Functional\", \"config\": {\"layers\": [{\"class_name\": "
        "\"InputLayer\", \"config\": {}}, {\"class_name\": \"Lambda\", \"config\": {\"name\": "
        "\"lam\", \"function\": {\"class_name\": \"__lambda__\"}}}]}}";
    const char plain[] = "{\"class_name\": \"Sequential\", \"config\": {\"layers\": []}}";
    struct bytes o = {0};
    struct reg_scan_result r;

    {
        const struct zentry e[] = {
            {"metadata.json", "{}", 2, false, false, false},
            {"config.json", lambda, strlen(lambda), true, false, false},
            {"model.weights.h5", "HDF", 3, false, false, false},
        };
        zip(&o, e, 3);
    }
    r = scan(*state, "model.keras", o.b, o.n);
    expect(r, REG_SCAN_DANGEROUS, "Lambda layer 'lam'");
    assert_true(r.custom_code);
    free(o.b);

    memset(&o, 0, sizeof(o));
    {
        const struct zentry e[] = {{"config.json", plain, strlen(plain), false, false, false}};
        zip(&o, e, 1);
    }
    r = scan(*state, "model.keras", o.b, o.n);
    expect(r, REG_SCAN_SAFE, NULL);
    assert_false(r.custom_code);
    free(o.b);
}

static void
test_config_json(void **state)
{
    const char automap[] = "{\"model_type\": \"x\", \"auto_map\": {\"AutoModel\": "
                           "\"modeling_x.XModel\"}}";
    const char plain[] = "{\"model_type\": \"bert\"}";
    struct reg_scan_result r = scan(*state, "repo/config.json", automap, strlen(automap));

    expect(r, REG_SCAN_SUSPICIOUS, "auto_map");
    assert_true(r.custom_code);
    assert_int_equal(r.format, REG_SCAN_FORMAT_CONFIG);
    expect(scan(*state, "config.json", plain, strlen(plain)), REG_SCAN_SAFE, NULL);
    expect(scan(*state, "config.json", "{\"a\":", 5), REG_SCAN_UNKNOWN, "not a JSON object");
}

/* ---- numpy ---- */

static void
test_numpy(void **state)
{
    struct bytes o = {0}, z = {0};

    npy(&o, "|O");
    LIT(&o, "\x80\x03");
    pglobal(&o, "posix", "system");
    pstr(&o, "id");
    LIT(&o, "\x85R.");
    expect(scan(*state, "arr.npy", o.b, o.n), REG_SCAN_DANGEROUS, "posix.system");
    {
        const struct zentry e[] = {{"arr_0.npy", o.b, o.n, true, false, false}};
        zip(&z, e, 1);
    }
    expect(scan(*state, "arrays.npz", z.b, z.n), REG_SCAN_DANGEROUS, "of arr_0.npy");
    free(o.b);
    free(z.b);

    /* Other spellings of the object type are object arrays too. */
    memset(&o, 0, sizeof(o));
    npy(&o, "|O8");
    LIT(&o, "\x80\x03");
    pglobal(&o, "builtins", "exec");
    LIT(&o, ")R.");
    expect(scan(*state, "arr.npy", o.b, o.n), REG_SCAN_DANGEROUS, "builtins.exec");
    free(o.b);

    memset(&o, 0, sizeof(o));
    npy(&o, "<f4");
    le(&o, 0, 4);
    expect(scan(*state, "arr.npy", o.b, o.n), REG_SCAN_SAFE, NULL);
    expect(scan(*state, "arr.npy", o.b, 20), REG_SCAN_UNKNOWN, "truncated");
    free(o.b);
}

/* ---- safetensors ---- */

static void
test_safetensors(void **state)
{
    struct bytes o = {0};
    struct reg_scan_result r;

    safetensors(&o,
                "{\"__metadata__\": {\"format\": \"pt\"}, \"a\": {\"dtype\": \"F32\", \"shape\": "
                "[2, 3], \"data_offsets\": [0, 24]}, \"b\": {\"dtype\": \"BF16\", \"shape\": [5], "
                "\"data_offsets\": [24, 34]}}",
                34);
    r = scan(*state, "model.safetensors", o.b, o.n);
    expect(r, REG_SCAN_SAFE, "2 tensors, 11 parameters");
    assert_int_equal(r.parameters, 11);
    r = scan(*state, "model.safetensors", o.b, o.n - 1);
    expect(r, REG_SCAN_UNKNOWN, "data section");
    assert_int_equal(r.parameters, -1);
    free(o.b);

    memset(&o, 0, sizeof(o));
    safetensors(&o,
                "{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}, \"b\": "
                "{\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]}}",
                16);
    expect(scan(*state, "model.safetensors", o.b, o.n), REG_SCAN_UNKNOWN,
           "overlapping tensors 'a' and 'b'");
    free(o.b);

    memset(&o, 0, sizeof(o));
    safetensors(&o, "{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 12]}}", 12);
    expect(scan(*state, "model.safetensors", o.b, o.n), REG_SCAN_UNKNOWN, "tensor 'a'");
    free(o.b);

    memset(&o, 0, sizeof(o));
    le(&o, (uint64_t)1 << 40, 8);
    expect(scan(*state, "model.safetensors", o.b, o.n), REG_SCAN_UNKNOWN, "out of bounds");
    free(o.b);
}

/* ---- streaming and bounds ---- */

static long
max_rss_kb(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* 100 MB through the scanner in 1 MiB pieces: a BINBYTES8 argument in a raw pickle, and a
 * stored entry of a PyTorch zip. The peak memory grows by far less than the file. */
/* safetensors headers that describe no valid tensor layout: unknown, naming the tensor and
 * the fault. */
static void
test_safetensors_malformed(void **state)
{
#define F32(offsets) "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" offsets "}"
    static const struct {
        const char *header;
        size_t data;
        const char *detail;
    } cases[] = {
        {"{\"t\":\"x\"}", 0, "tensor 't': no dtype"},
        {"{\"t\":{\"dtype\":\"Q8\"}}", 0, "tensor 't': unknown dtype"},
        {"{\"t\":{\"dtype\":\"F32\"}}", 0, "tensor 't': no shape"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[-1]}}", 0,
         "a dimension is not a non-negative integer"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4]}}", 0, "shape overflows"},
        {"{\"t\":" F32("[4,0]") "}", 4, "data_offsets is not [begin, end] with begin <= end"},
        {"{\"a\":" F32("[0,4]") ",\"b\":" F32("[8,12]") "}", 12,
         "tensor 'b': a gap in the data section before it"},
        {"{\"__metadata__\":[1]}", 0, "tensor '__metadata__': not an object"},
        {"{\"__metadata__\":{\"a\":1}}", 0, "'__metadata__': a value is not a string"},
        {"[1]", 0, "the header is not a JSON object (another JSON type)"},
        {"{\"a\":", 0, "the header is not a JSON object"},
    };
#undef F32
    int bad = 0;

    for (int i = 0; i < NELEMS(cases); i++) {
        struct bytes o = {0};
        struct reg_scan_result r;

        safetensors(&o, cases[i].header, cases[i].data);
        r = scan(*state, "model.safetensors", o.b, o.n);
        CHECK(&bad, r.verdict == REG_SCAN_UNKNOWN && strstr(r.detail, cases[i].detail),
              "case %d: %s (%s), want unknown with '%s'", i, reg_scan_verdict_name(r.verdict),
              r.detail, cases[i].detail);
        free(o.b);
    }
    /* The header's length says more than the file holds. */
    expect(scan(*state, "model.safetensors", "\x64\0\0\0\0\0\0\0{\"a\"", 12), REG_SCAN_UNKNOWN,
           "safetensors: file ends inside the header at byte 12");
    assert_int_equal(bad, 0);
}

/* numpy files with a bad preamble or header, and a version 2 header (4-byte length) read
 * right. */
static void
test_numpy_malformed(void **state)
{
    static const char dict[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n";
    struct bytes o = {0};

    expect(scan(*state, "a.npy", "\x93NUMPX\x01\x00\x04\x00{  \n", 14), REG_SCAN_UNKNOWN,
           "no numpy magic or an unknown version");
    expect(scan(*state, "a.npy", "\x93NUMPY\x04\x00\x04\x00{  \n", 14), REG_SCAN_UNKNOWN,
           "no numpy magic or an unknown version");
    expect(scan(*state, "a.npy", "\x93NUMPY\x01\x00\x00\x00", 10), REG_SCAN_UNKNOWN,
           "header length out of bounds");
    expect(scan(*state, "a.npy", "\x93NUMPY\x01\x00\x04\x00[1]\n", 14), REG_SCAN_UNKNOWN,
           "header is not a dict of descr, fortran_order and shape");

    LIT(&o, "\x93NUMPY\x02\x00");
    le(&o, sizeof(dict) - 1, 4);
    LIT(&o, dict);
    LIT(&o, "\0\0\0\0");
    expect(scan(*state, "a.npy", o.b, o.n), REG_SCAN_SAFE, NULL);
    /* Cut inside the header. */
    expect(scan(*state, "a.npy", o.b, 20), REG_SCAN_UNKNOWN,
           "file ends inside the header (truncated)");
    free(o.b);
}

/* A config.json that is empty, not an object, or followed by more than blanks is unknown. */
static void
test_config_json_malformed(void **state)
{
    expect(scan(*state, "config.json", "", 0), REG_SCAN_UNKNOWN, "empty or larger than");
    expect(scan(*state, "config.json", "[1, 2]", 6), REG_SCAN_UNKNOWN, "not a JSON object");
    expect(scan(*state, "config.json", "{\"a\": 1} x", 10), REG_SCAN_UNKNOWN, "not a JSON object");
    expect(scan(*state, "config.json", "{\"a\": 1}\n \t", 11), REG_SCAN_SAFE, NULL);
}

static void
test_bounded_memory_100mb(void **state)
{
    const size_t total = 100u * 1024 * 1024, chunk = 1024 * 1024;
    uint8_t *buf = calloc(chunk, 1);
    long before = max_rss_kb();
    struct reg_scan_result r;
    struct reg_scan *s;
    struct bytes head = {0};

    assert_non_null(buf);
    LIT(&head, "\x80\x04\x8e");
    le(&head, total, 8);
    assert_int_equal(reg_scan_begin("big.pkl", -1, &s), REG_OK);
    reg_scan_feed(s, head.b, head.n);
    for (size_t done = 0; done < total; done += chunk)
        reg_scan_feed(s, buf, chunk);
    reg_scan_feed(s, "0N.", 3);
    assert_int_equal(reg_scan_end(s, *state, &r), REG_OK);
    reg_scan_free(s);
    expect(r, REG_SCAN_SAFE, NULL);

    /* The zip: a stored 100 MB entry as torch.save writes it (a data descriptor, no sizes in
     * the local header: its end is found by the descriptor), then a malicious data.pkl. */
    {
        struct zmeta m = {"archive/data/0", (uint32_t)crc32(0, NULL, 0), total, total, 0, 0};
        struct bytes cd = {0}, tail = {0};
        const struct zentry pkl = {"archive/data.pkl", os_system, strlen(os_system), 0, 0, 0};
        uint64_t at;

        head.n = 0;
        for (size_t done = 0; done < total; done += chunk)
            m.crc = (uint32_t)crc32(m.crc, buf, (uInt)chunk);
        local_header(&head, &m, true);
        assert_int_equal(reg_scan_begin("big.pt", -1, &s), REG_OK);
        reg_scan_feed(s, head.b, head.n);
        for (size_t done = 0; done < total; done += chunk)
            reg_scan_feed(s, buf, chunk);
        LIT(&tail, "PK\x07\x08");
        le(&tail, m.crc, 4);
        le(&tail, total, 4);
        le(&tail, total, 4);
        central_record(&cd, &m);
        /* offsets in the whole file: the tail starts after the head and the data */
        {
            struct bytes pk = {0};
            zip_entry(&pk, &cd, &pkl);
            /* zip_entry recorded the entry's offset in its own buffer: shift it */
            at = head.n + total + tail.n;
            cd.b[cd.n - strlen(pkl.name) - 4] = (uint8_t)at;
            cd.b[cd.n - strlen(pkl.name) - 3] = (uint8_t)(at >> 8);
            cd.b[cd.n - strlen(pkl.name) - 2] = (uint8_t)(at >> 16);
            cd.b[cd.n - strlen(pkl.name) - 1] = (uint8_t)(at >> 24);
            put(&tail, pk.b, pk.n);
            free(pk.b);
        }
        at = head.n + total + tail.n;
        end_of_zip(&tail, &cd, 2, at);
        reg_scan_feed(s, tail.b, tail.n);
        assert_int_equal(reg_scan_end(s, *state, &r), REG_OK);
        reg_scan_free(s);
        free(cd.b);
        free(tail.b);
    }
    expect(r, REG_SCAN_DANGEROUS, "(GLOBAL at byte 0 of archive/data.pkl)");
    assert_true(max_rss_kb() - before < 32 * 1024);
    free(head.b);
    free(buf);
}

/* ---- names, table, policy ---- */

static void
test_formats_and_table(void **state)
{
    (void)state;
    assert_int_equal(reg_scan_format_of("a/B/PYTORCH_MODEL.BIN"), REG_SCAN_FORMAT_PICKLE);
    assert_int_equal(reg_scan_format_of("x.npz"), REG_SCAN_FORMAT_NUMPY);
    assert_int_equal(reg_scan_format_of("m.safetensors"), REG_SCAN_FORMAT_SAFETENSORS);
    assert_int_equal(reg_scan_format_of("m.keras"), REG_SCAN_FORMAT_KERAS);
    assert_int_equal(reg_scan_format_of("sub/Config.json"), REG_SCAN_FORMAT_CONFIG);
    assert_int_equal(reg_scan_format_of("tokenizer.json"), REG_SCAN_FORMAT_NONE);
    assert_int_equal(reg_scan_format_of("README.md"), REG_SCAN_FORMAT_NONE);
    assert_string_equal(reg_scan_format_name(REG_SCAN_FORMAT_SAFETENSORS), "safetensors");
    assert_string_equal(reg_scan_verdict_name(REG_SCAN_SUSPICIOUS), "suspicious");

    assert_int_equal(reg_scan_import_verdict("__builtin__", "eval", NULL), REG_SCAN_DANGEROUS);
    assert_int_equal(reg_scan_import_verdict("builtins", "eval.__call__", NULL),
                     REG_SCAN_DANGEROUS);
    assert_int_equal(reg_scan_import_verdict("os.path", "join", NULL), REG_SCAN_DANGEROUS);
    assert_int_equal(reg_scan_import_verdict("ossify", "x", NULL), REG_SCAN_SUSPICIOUS);
    assert_int_equal(reg_scan_import_verdict("torch", "HalfStorage", NULL), REG_SCAN_SAFE);
    assert_int_equal(reg_scan_import_verdict("torch", "load", NULL), REG_SCAN_DANGEROUS);
    assert_int_equal(reg_scan_import_verdict("builtins", "set", NULL), REG_SCAN_SAFE);
    assert_int_equal(reg_scan_import_verdict("numpy._core.multiarray", "_reconstruct", NULL),
                     REG_SCAN_SAFE);

    {
        struct reg_scan_result r;
        struct reg_arena a;
        reg_arena_init(&a);
        assert_int_equal(reg_scan_buffer("notes.txt", "cos\n", 4, &a, &r), REG_OK);
        assert_int_equal(r.verdict, REG_SCAN_SAFE);
        assert_int_equal(r.format, REG_SCAN_FORMAT_NONE);
        reg_arena_cleanup(&a);
    }
}

static void
test_policy(void **state)
{
    enum reg_scan_policy p;

    (void)state;
    assert_int_equal(reg_scan_policy_parse(NULL, &p), REG_OK);
    assert_int_equal(p, REG_SCAN_POLICY_BLOCK);
    assert_int_equal(reg_scan_policy_parse("flag", &p), REG_OK);
    assert_int_equal(p, REG_SCAN_POLICY_FLAG);
    assert_int_equal(reg_scan_policy_parse("off", &p), REG_OK);
    assert_int_equal(p, REG_SCAN_POLICY_OFF);
    assert_int_equal(reg_scan_policy_parse("Block", &p), REG_EINVAL);
    /* the names read back as the policies they name */
    for (int i = REG_SCAN_POLICY_BLOCK; i <= REG_SCAN_POLICY_OFF; i++) {
        assert_int_equal(reg_scan_policy_parse(reg_scan_policy_name((enum reg_scan_policy)i), &p),
                         REG_OK);
        assert_int_equal(p, i);
    }
    assert_true(reg_scan_refuses(REG_SCAN_POLICY_BLOCK, REG_SCAN_DANGEROUS));
    assert_true(reg_scan_refuses(REG_SCAN_POLICY_BLOCK, REG_SCAN_UNKNOWN));
    assert_false(reg_scan_refuses(REG_SCAN_POLICY_BLOCK, REG_SCAN_SUSPICIOUS));
    assert_false(reg_scan_refuses(REG_SCAN_POLICY_BLOCK, REG_SCAN_SAFE));
    assert_false(reg_scan_refuses(REG_SCAN_POLICY_FLAG, REG_SCAN_DANGEROUS));
    assert_false(reg_scan_refuses(REG_SCAN_POLICY_OFF, REG_SCAN_UNKNOWN));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, arena_setup, arena_teardown)
        T(test_protocol0_os_system),
        T(test_inst),
        T(test_stack_global_via_binget),
        T(test_memo_confusion),
        T(test_benign_checkpoint),
        T(test_truncated_and_unknown_opcode),
        T(test_suspicious_import),
        T(test_pickle_malformed),
        T(test_pickle_string_pool),
        T(test_bounds),
        T(test_legacy_torch),
        T(test_torch_zip),
        T(test_zip_corrupt_entry_before_pickle),
        T(test_zip_patched_headers),
        T(test_zip_directory_mismatch),
        T(test_zip_too_many_entries),
        T(test_zip_confusion),
        T(test_remote_torch_zip),
        T(test_remote_stops_early),
        T(test_remote_zip_malformed),
        T(test_zip64),
        T(test_keras),
        T(test_config_json),
        T(test_numpy),
        T(test_safetensors),
        T(test_safetensors_malformed),
        T(test_numpy_malformed),
        T(test_config_json_malformed),
        T(test_bounded_memory_100mb),
        T(test_formats_and_table),
        T(test_policy),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
