/*
 * formats.c - the readers of numpy arrays (.npy: a header, then the data or, for object
 * arrays, a pickle), safetensors headers, and JSON configurations (config.json's auto_map, a
 * Keras config's Lambda layers).
 */
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/json.h"
#include "base/limits.h"
#include "scan/scan_int.h"

/* ---- .npy ---- */

enum { N_PRE, N_HEADER, N_PICKLE, N_DONE };

void
npy_init(struct npy *n, struct reg_scan *s, const char *where)
{
    memset(n, 0, sizeof(*n));
    n->s = s;
    n->where = where;
    n->want = 10; /* magic, version, and a 2-byte header length (version 1) */
}

void
npy_cleanup(struct npy *n)
{
    free(n->header);
    n->header = NULL;
    if (n->object)
        pk_cleanup(&n->pk);
}

static void
npy_fail(struct npy *n, const char *what)
{
    scan_note(n->s, REG_SCAN_UNKNOWN, "npy%s%s: %s", *n->where ? " " : "", n->where, what);
    n->state = N_DONE;
}

/* Whether any quoted string of the header is an object type code: 'O', '|O', '<O8', ... (numpy
 * reads object arrays for all of them; a field name starting with O counts too, which at worst
 * walks data as a pickle and ends unknown, never clean). */
static bool
has_object_type(const char *h)
{
    for (; *h; h++) {
        const char *t = h + 1;
        if (*h != '\'' && *h != '"')
            continue;
        if (*t && strchr("<>|=", *t))
            t++;
        if (*t == 'O')
            return true;
    }
    return false;
}

/* The header dict, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3,), }. An object
 * dtype ('|O', also inside a structured dtype's list) means a pickle of the array follows. */
static void
npy_header(struct npy *n)
{
    const char *h = n->header;

    if (h[0] != '{' || h[n->hlen - 1] != '\n' || !strstr(h, "'descr'") ||
        !strstr(h, "'fortran_order'") || !strstr(h, "'shape'")) {
        npy_fail(n, "header is not a dict of descr, fortran_order and shape");
        return;
    }
    if (has_object_type(h)) {
        n->object = true;
        pk_init(&n->pk, n->s, n->where, false);
        n->state = N_PICKLE;
        return;
    }
    n->state = N_DONE; /* plain data follows: nothing in it runs */
    n->finished = true;
}

static void
npy_pre(struct npy *n)
{
    static const uint8_t magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    uint8_t major = n->pre[6];

    if (memcmp(n->pre, magic, 6) != 0 || major < 1 || major > 3) {
        npy_fail(n, "no numpy magic or an unknown version");
        return;
    }
    if (major > 1 && n->want == 10) {
        n->want = 12; /* versions 2 and 3: a 4-byte header length */
        return;
    }
    n->hlen = major == 1 ? (size_t)(n->pre[8] | n->pre[9] << 8)
                         : (size_t)n->pre[8] | (size_t)n->pre[9] << 8 | (size_t)n->pre[10] << 16 |
                               (size_t)n->pre[11] << 24;
    if (n->hlen == 0 || n->hlen > SCAN_NPY_HEADER_MAX) {
        npy_fail(n, "header length out of bounds");
        return;
    }
    n->header = malloc(n->hlen + 1);
    if (!n->header)
        reg_oom();
    n->have = 0;
    n->state = N_HEADER;
}

size_t
npy_feed(struct npy *n, const uint8_t *b, size_t len)
{
    size_t done = 0, take;

    while (done < len && n->state != N_DONE && !scan_stopped(n->s)) {
        switch (n->state) {
        case N_PRE:
            take = n->want - n->have < len - done ? n->want - n->have : len - done;
            memcpy(n->pre + n->have, b + done, take);
            n->have += take;
            done += take;
            if (n->have == n->want)
                npy_pre(n);
            break;
        case N_HEADER:
            take = n->hlen - n->have < len - done ? n->hlen - n->have : len - done;
            memcpy(n->header + n->have, b + done, take);
            n->have += take;
            done += take;
            if (n->have == n->hlen) {
                n->header[n->hlen] = '\0';
                npy_header(n);
            }
            break;
        default:
            take = pk_feed(&n->pk, b + done, len - done);
            done += take;
            if (n->pk.finished) {
                n->state = N_DONE;
                n->finished = true;
            }
            if (take == 0)
                return done;
            break;
        }
    }
    return done;
}

void
npy_end(struct npy *n)
{
    if (n->finished || scan_stopped(n->s))
        return;
    if (n->state == N_PICKLE)
        pk_end(&n->pk);
    else
        npy_fail(n, "file ends inside the header (truncated)");
}

/* ---- safetensors ---- */

static const struct {
    const char *name;
    int size;
} dtypes[] = {
    {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"F8_E8M0", 1},
    {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},     {"U32", 4},
    {"F32", 4},  {"I64", 8}, {"U64", 8}, {"F64", 8},     {"C64", 8},
};

struct span {
    int64_t begin, end;
    const char *name;
};

void
st_init(struct st *t, struct reg_scan *s)
{
    memset(t, 0, sizeof(*t));
    t->s = s;
}

void
st_cleanup(struct st *t)
{
    free(t->header);
    t->header = NULL;
}

static int
dtype_size(const char *name)
{
    for (size_t i = 0; i < sizeof(dtypes) / sizeof(dtypes[0]); i++)
        if (strcmp(dtypes[i].name, name) == 0)
            return dtypes[i].size;
    return 0;
}

static bool
st_bad(struct st *t, const char *tensor, const char *what)
{
    scan_note(t->s, REG_SCAN_UNKNOWN, "safetensors tensor '%.80s': %s", tensor, what);
    return false;
}

static bool
nonneg_int(struct json_object *v, int64_t *out)
{
    if (!json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return *out >= 0 && (*out < INT64_MAX || json_object_get_uint64(v) == (uint64_t)INT64_MAX);
}

/* One tensor entry: its span into sp and its element count into *count. */
static bool
st_tensor(struct st *t, const char *name, struct json_object *v, struct span *sp, int64_t *count)
{
    struct json_object *dt, *shape, *offs;
    int64_t n = 1, dim, bytes;
    int size;

    if (!json_object_is_type(v, json_type_object) || !json_object_object_get_ex(v, "dtype", &dt) ||
        !json_object_is_type(dt, json_type_string))
        return st_bad(t, name, "no dtype");
    size = dtype_size(json_object_get_string(dt));
    if (size == 0)
        return st_bad(t, name, "unknown dtype");
    if (!json_object_object_get_ex(v, "shape", &shape) ||
        !json_object_is_type(shape, json_type_array))
        return st_bad(t, name, "no shape");
    for (size_t i = 0; i < json_object_array_length(shape); i++) {
        if (!nonneg_int(json_object_array_get_idx(shape, i), &dim))
            return st_bad(t, name, "a dimension is not a non-negative integer");
        if (__builtin_mul_overflow(n, dim, &n))
            return st_bad(t, name, "shape overflows");
    }
    if (!json_object_object_get_ex(v, "data_offsets", &offs) ||
        !json_object_is_type(offs, json_type_array) || json_object_array_length(offs) != 2 ||
        !nonneg_int(json_object_array_get_idx(offs, 0), &sp->begin) ||
        !nonneg_int(json_object_array_get_idx(offs, 1), &sp->end) || sp->end < sp->begin)
        return st_bad(t, name, "data_offsets is not [begin, end] with begin <= end");
    if (__builtin_mul_overflow(n, (int64_t)size, &bytes) || sp->end - sp->begin != bytes)
        return st_bad(t, name, "data_offsets length differs from shape times dtype size");
    sp->name = name;
    *count = n;
    return true;
}

static int
span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;

    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Sorted by offset, the tensors must tile the data section from 0, as the safetensors
 * library requires: no overlap and no gap. */
static bool
st_tiles(struct st *t, struct span *sp, size_t n)
{
    int64_t end = 0;

    qsort(sp, n, sizeof(*sp), span_cmp);
    for (size_t i = 0; i < n; i++) {
        if (sp[i].begin < end) {
            scan_note(t->s, REG_SCAN_UNKNOWN,
                      "safetensors: overlapping tensors '%.80s' and '%.80s'", sp[i - 1].name,
                      sp[i].name);
            return false;
        }
        if (sp[i].begin > end)
            return st_bad(t, sp[i].name, "a gap in the data section before it");
        end = sp[i].end;
    }
    t->data_end = end;
    return true;
}

static bool
st_metadata(struct st *t, struct json_object *v)
{
    if (!json_object_is_type(v, json_type_object))
        return st_bad(t, "__metadata__", "not an object");
    json_object_object_foreach(v, k, val)
    {
        (void)k;
        if (!json_object_is_type(val, json_type_string))
            return st_bad(t, "__metadata__", "a value is not a string");
    }
    return true;
}

static void
st_check_parsed(struct st *t, struct json_object *root)
{
    size_t n = 0, cap = (size_t)json_object_object_length(root);
    struct span *sp = calloc(cap + 1, sizeof(*sp));
    int64_t params = 0, count;
    bool ok = true;

    if (!sp)
        reg_oom();
    json_object_object_foreach(root, key, val)
    {
        if (strcmp(key, "__metadata__") == 0)
            ok = st_metadata(t, val);
        else if ((ok = st_tensor(t, key, val, &sp[n], &count)))
            ok = !__builtin_add_overflow(params, count, &params) || st_bad(t, key, "overflow");
        if (!ok)
            break;
        n += strcmp(key, "__metadata__") != 0;
    }
    if (ok && st_tiles(t, sp, n)) {
        t->checked = true;
        scan_parameters(t->s, params);
        scan_note(t->s, REG_SCAN_SAFE, "safetensors: %zu tensors, %lld parameters", n,
                  (long long)params);
    }
    free(sp);
}

static void
st_check(struct st *t)
{
    struct reg_arena a;
    struct json_object *root = NULL;

    reg_arena_init(&a);
    if (reg_json_prescan(t->header, t->hlen, SCAN_ST_VALUES_MAX, REG_JSON_MAX_DEPTH) != REG_OK ||
        reg_json_parse_bounded(&a, t->header, t->hlen, SCAN_ST_HEADER_MAX, &root) != REG_OK ||
        !json_object_is_type(root, json_type_object))
        scan_note(t->s, REG_SCAN_UNKNOWN, "safetensors: the header is not a JSON object (%s)",
                  root ? "another JSON type" : reg_error_detail());
    else
        st_check_parsed(t, root);
    reg_arena_cleanup(&a);
    free(t->header);
    t->header = NULL;
}

size_t
st_feed(struct st *t, const uint8_t *b, size_t n)
{
    size_t done = 0, take;

    t->fed += n;
    if (t->have < 8) {
        take = 8 - t->have < n ? 8 - t->have : n;
        memcpy(t->pre + t->have, b, take);
        t->have += take;
        done = take;
        if (t->have < 8)
            return done;
        t->hlen = reg_le_uint(t->pre, 8);
        if (t->hlen < 2 || t->hlen > SCAN_ST_HEADER_MAX) {
            scan_note(t->s, REG_SCAN_UNKNOWN, "safetensors: header length %llu out of bounds",
                      (unsigned long long)t->hlen);
            return done;
        }
        t->header = malloc(t->hlen + 1);
        if (!t->header)
            reg_oom();
    }
    if (!t->header || t->checked)
        return n;
    take =
        (size_t)(t->hlen - (t->have - 8)) < n - done ? (size_t)(t->hlen - (t->have - 8)) : n - done;
    memcpy(t->header + (t->have - 8), b + done, take);
    t->have += take;
    if (t->have - 8 == t->hlen) {
        t->header[t->hlen] = '\0';
        st_check(t);
    }
    return done + take;
}

void
st_end(struct st *t, int64_t size)
{
    if (scan_stopped(t->s))
        return;
    if (!t->checked) {
        scan_note(t->s, REG_SCAN_UNKNOWN, "safetensors: file ends inside the header at byte %llu",
                  (unsigned long long)t->fed);
        return;
    }
    if (size - 8 - (int64_t)t->hlen != t->data_end)
        scan_note(t->s, REG_SCAN_UNKNOWN,
                  "safetensors: data section is %lld bytes, the tensors need %lld",
                  (long long)(size - 8 - (int64_t)t->hlen), (long long)t->data_end);
}

/* ---- JSON configurations ---- */

void
jdoc_init(struct jdoc *j, struct reg_scan *s, const char *where, bool keras)
{
    memset(j, 0, sizeof(*j));
    j->s = s;
    j->where = where;
    j->keras = keras;
}

void
jdoc_cleanup(struct jdoc *j)
{
    free(j->text);
    j->text = NULL;
}

size_t
jdoc_feed(struct jdoc *j, const uint8_t *b, size_t n)
{
    char *grown;

    if (j->too_long || n == 0)
        return n;
    if (n > SCAN_JSON_MAX - j->len) {
        j->too_long = true;
        return n;
    }
    if (j->len + n + 1 > j->cap) {
        /* Doubling: a document fed a byte at a time is not copied once per byte. */
        size_t cap = j->cap ? j->cap : 4096;
        while (cap < j->len + n + 1)
            cap *= 2;
        grown = realloc(j->text, cap);
        if (!grown)
            reg_oom();
        j->text = grown;
        j->cap = cap;
    }
    memcpy(j->text + j->len, b, n);
    j->len += n;
    return n;
}

/* Nesting a Keras config may have (models in models), deeper than a request body's. */
#define JDOC_DEPTH 64

static struct json_object *
jdoc_parse(struct jdoc *j)
{
    struct json_tokener *tok;
    struct json_object *root;
    size_t end;

    if (reg_json_prescan(j->text, j->len, SCAN_JSON_VALUES_MAX, JDOC_DEPTH) != REG_OK)
        return NULL;
    tok = json_tokener_new_ex(JDOC_DEPTH);
    if (!tok)
        reg_oom();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    root = json_tokener_parse_ex(tok, j->text, (int)j->len);
    end = json_tokener_get_parse_end(tok);
    if (json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(root);
        root = NULL;
    }
    json_tokener_free(tok);
    while (root && end < j->len && strchr(" \t\r\n", j->text[end]))
        end++;
    if (root && end != j->len) {
        json_object_put(root);
        root = NULL;
    }
    return root;
}

/* A Lambda layer anywhere in a Keras config: its function is code deserialised at load. */
static bool
find_lambda(struct jdoc *j, struct json_object *v)
{
    struct json_object *cls;

    if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++)
            if (find_lambda(j, json_object_array_get_idx(v, i)))
                return true;
        return false;
    }
    if (!json_object_is_type(v, json_type_object))
        return false;
    if (json_object_object_get_ex(v, "class_name", &cls) &&
        json_object_is_type(cls, json_type_string) &&
        strcmp(json_object_get_string(cls), "Lambda") == 0) {
        const char *name = reg_json_str(json_object_object_get(v, "config"), "name");
        scan_custom_code(j->s);
        scan_note(j->s, REG_SCAN_DANGEROUS, "Keras Lambda layer '%.80s' in %s (code run at load)",
                  name ? name : "?", j->where);
        return true;
    }
    json_object_object_foreach(v, k, val)
    {
        (void)k;
        if (find_lambda(j, val))
            return true;
    }
    return false;
}

void
jdoc_end(struct jdoc *j)
{
    struct json_object *root, *map;

    if (scan_stopped(j->s))
        return;
    if (j->too_long || j->len == 0) {
        scan_note(j->s, REG_SCAN_UNKNOWN, "%s: empty or larger than %d bytes", j->where,
                  SCAN_JSON_MAX);
        return;
    }
    j->text[j->len] = '\0';
    root = jdoc_parse(j);
    if (!root || !json_object_is_type(root, json_type_object)) {
        scan_note(j->s, REG_SCAN_UNKNOWN, "%s: not a JSON object", j->where);
    } else if (j->keras) {
        find_lambda(j, root);
    } else if (json_object_object_get_ex(root, "auto_map", &map)) {
        scan_custom_code(j->s);
        scan_note(j->s, REG_SCAN_SUSPICIOUS,
                  "%s: auto_map names custom code the loader runs with trust_remote_code",
                  j->where);
    }
    json_object_put(root);
}
