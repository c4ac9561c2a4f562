/*
 * pickle.c - the pickle opcode walker: protocols 0-5, no Python, nothing unpickled.
 *
 * Every opcode is parsed with its argument (fixed width, a newline-terminated line, or a
 * length prefix and that many bytes, which are skipped, never kept, beyond SCAN_NAME_MAX).
 * Imports come from GLOBAL and INST (two lines, module and name) and from STACK_GLOBAL, whose
 * operands are found on a model of the unpickler's stack: each entry is a MARK, a string
 * (kept up to SCAN_NAME_MAX bytes, else "too long"), or some other object; the memo keeps the
 * strings stored in it. An operand that is not a string makes the import "unknown" (judged
 * dangerous: a pickler names what it imports; only a crafted pickle computes it); an operand
 * the model lost to a bound (a long string, a memo entry not kept) stops the scan as UNKNOWN.
 * Also UNKNOWN: an unknown opcode, a stack underflow, a stream ending inside a pickle.
 */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/bytes.h"
#include "scan/scan_int.h"

enum kind { K_MARK, K_OBJ, K_STR, K_BIG, K_LOST };

struct pk_ent {
    uint8_t kind;
    uint16_t len;
    uint32_t off; /* into the pool, for K_STR */
};

struct pk_slot {
    int64_t idx; /* -1: free */
    uint8_t kind;
    uint16_t len;
    char text[SCAN_NAME_MAX];
};

/* Argument shapes. */
enum arg { A_NONE, A_FIXED, A_LINE, A_LINE2, A_LEN };
/* Reader states. */
enum { S_OP, S_FIXED, S_LINE, S_LENGTH, S_DATA, S_BETWEEN, S_DONE };

struct opinfo {
    const char *name;
    uint8_t arg;
    uint8_t width; /* A_FIXED: bytes; A_LEN: bytes of the length */
};

/* Python's Lib/pickletools.py, opcode by opcode; a zero name is an unknown opcode. */
static const struct opinfo ops[256] = {
    ['('] = {"MARK", A_NONE, 0},          ['.'] = {"STOP", A_NONE, 0},
    ['0'] = {"POP", A_NONE, 0},           ['1'] = {"POP_MARK", A_NONE, 0},
    ['2'] = {"DUP", A_NONE, 0},           ['F'] = {"FLOAT", A_LINE, 0},
    ['I'] = {"INT", A_LINE, 0},           ['J'] = {"BININT", A_FIXED, 4},
    ['K'] = {"BININT1", A_FIXED, 1},      ['L'] = {"LONG", A_LINE, 0},
    ['M'] = {"BININT2", A_FIXED, 2},      ['N'] = {"NONE", A_NONE, 0},
    ['P'] = {"PERSID", A_LINE, 0},        ['Q'] = {"BINPERSID", A_NONE, 0},
    ['R'] = {"REDUCE", A_NONE, 0},        ['S'] = {"STRING", A_LINE, 0},
    ['T'] = {"BINSTRING", A_LEN, 4},      ['U'] = {"SHORT_BINSTRING", A_LEN, 1},
    ['V'] = {"UNICODE", A_LINE, 0},       ['X'] = {"BINUNICODE", A_LEN, 4},
    ['a'] = {"APPEND", A_NONE, 0},        ['b'] = {"BUILD", A_NONE, 0},
    ['c'] = {"GLOBAL", A_LINE2, 0},       ['d'] = {"DICT", A_NONE, 0},
    ['}'] = {"EMPTY_DICT", A_NONE, 0},    ['e'] = {"APPENDS", A_NONE, 0},
    ['g'] = {"GET", A_LINE, 0},           ['h'] = {"BINGET", A_FIXED, 1},
    ['i'] = {"INST", A_LINE2, 0},         ['j'] = {"LONG_BINGET", A_FIXED, 4},
    ['l'] = {"LIST", A_NONE, 0},          [']'] = {"EMPTY_LIST", A_NONE, 0},
    ['o'] = {"OBJ", A_NONE, 0},           ['p'] = {"PUT", A_LINE, 0},
    ['q'] = {"BINPUT", A_FIXED, 1},       ['r'] = {"LONG_BINPUT", A_FIXED, 4},
    ['s'] = {"SETITEM", A_NONE, 0},       ['t'] = {"TUPLE", A_NONE, 0},
    [')'] = {"EMPTY_TUPLE", A_NONE, 0},   ['u'] = {"SETITEMS", A_NONE, 0},
    ['G'] = {"BINFLOAT", A_FIXED, 8},     [0x80] = {"PROTO", A_FIXED, 1},
    [0x81] = {"NEWOBJ", A_NONE, 0},       [0x82] = {"EXT1", A_FIXED, 1},
    [0x83] = {"EXT2", A_FIXED, 2},        [0x84] = {"EXT4", A_FIXED, 4},
    [0x85] = {"TUPLE1", A_NONE, 0},       [0x86] = {"TUPLE2", A_NONE, 0},
    [0x87] = {"TUPLE3", A_NONE, 0},       [0x88] = {"NEWTRUE", A_NONE, 0},
    [0x89] = {"NEWFALSE", A_NONE, 0},     [0x8a] = {"LONG1", A_LEN, 1},
    [0x8b] = {"LONG4", A_LEN, 4},         ['B'] = {"BINBYTES", A_LEN, 4},
    ['C'] = {"SHORT_BINBYTES", A_LEN, 1}, [0x8c] = {"SHORT_BINUNICODE", A_LEN, 1},
    [0x8d] = {"BINUNICODE8", A_LEN, 8},   [0x8e] = {"BINBYTES8", A_LEN, 8},
    [0x8f] = {"EMPTY_SET", A_NONE, 0},    [0x90] = {"ADDITEMS", A_NONE, 0},
    [0x91] = {"FROZENSET", A_NONE, 0},    [0x92] = {"NEWOBJ_EX", A_NONE, 0},
    [0x93] = {"STACK_GLOBAL", A_NONE, 0}, [0x94] = {"MEMOIZE", A_NONE, 0},
    [0x95] = {"FRAME", A_FIXED, 8},       [0x96] = {"BYTEARRAY8", A_LEN, 8},
    [0x97] = {"NEXT_BUFFER", A_NONE, 0},  [0x98] = {"READONLY_BUFFER", A_NONE, 0},
};

/* Opcodes whose argument is a string the unpickler pushes (str, or bytes decoded as str). */
static bool
pushes_string(uint8_t op)
{
    return op == 'T' || op == 'U' || op == 'X' || op == 0x8c || op == 0x8d;
}

/* torch.save's legacy magic number 0x1950a86a20f9469cfc6c, as LONG1 and as protocol 0 LONG. */
static const uint8_t magic_long1[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                      0x20, 0x6a, 0xa8, 0x50, 0x19, '.'};
static const char magic_long0[] = "L119547037146038801333356L\n.";

bool
pk_is_opcode(uint8_t b)
{
    return ops[b].name != NULL;
}

void
pk_init(struct pk *p, struct reg_scan *s, const char *where, bool multi)
{
    memset(p, 0, sizeof(*p));
    p->s = s;
    p->where = where;
    p->multi = multi;
    p->state = S_OP;
    p->stack = calloc(SCAN_STACK_MAX, sizeof(*p->stack));
    p->pool = malloc(SCAN_POOL_MAX);
    p->memo = malloc(SCAN_MEMO_SLOTS * sizeof(*p->memo));
    if (!p->stack || !p->pool || !p->memo)
        reg_oom();
    for (int i = 0; i < SCAN_MEMO_SLOTS; i++)
        p->memo[i].idx = -1;
}

void
pk_cleanup(struct pk *p)
{
    free(p->stack);
    free(p->pool);
    free(p->memo);
    p->stack = NULL;
    p->pool = NULL;
    p->memo = NULL;
}

/* Each pickle of a stream has its own unpickler: an empty stack and memo. */
static void
reset_pickle(struct pk *p)
{
    p->depth = 0;
    p->pool_top = 0;
    p->nmemo = 0;
    p->memo_len = 0;
    p->memo_lost = p->used_put = p->used_memoize = false;
    for (int i = 0; i < SCAN_MEMO_SLOTS; i++)
        p->memo[i].idx = -1;
}

static void
fail(struct pk *p, const char *what)
{
    scan_note(p->s, REG_SCAN_UNKNOWN, "pickle%s%s: %s at byte %llu", *p->where ? " " : "", p->where,
              what, (unsigned long long)p->op_pos);
    p->state = S_DONE;
}

/* ---- the modelled stack ---- */

static bool
push(struct pk *p, enum kind k, const char *text, size_t len)
{
    struct pk_ent *e;

    if (p->depth >= SCAN_STACK_MAX) {
        fail(p, "stack deeper than the scanner models");
        return false;
    }
    e = &p->stack[p->depth];
    e->kind = (uint8_t)k;
    e->len = 0;
    e->off = (uint32_t)p->pool_top;
    if (k == K_STR) {
        if (p->pool_top + len > SCAN_POOL_MAX) {
            fail(p, "strings on the stack exceed the scanner's bound");
            return false;
        }
        memcpy(p->pool + p->pool_top, text, len);
        p->pool_top += len;
        e->len = (uint16_t)len;
    }
    p->depth++;
    return true;
}

static bool
pop(struct pk *p, int n)
{
    for (int i = 0; i < n; i++) {
        if (p->depth == 0 || p->stack[p->depth - 1].kind == K_MARK) {
            fail(p, "stack underflow");
            return false;
        }
        p->depth--;
        p->pool_top = p->stack[p->depth].off;
    }
    return true;
}

static bool
pop_mark(struct pk *p)
{
    int d = p->depth;

    while (d > 0 && p->stack[d - 1].kind != K_MARK)
        d--;
    if (d == 0) {
        fail(p, "no MARK on the stack");
        return false;
    }
    p->depth = d - 1;
    p->pool_top = p->stack[p->depth].off;
    return true;
}

/* ---- the memo (strings only) ---- */

static struct pk_slot *
memo_find(struct pk *p, int64_t idx, bool insert)
{
    uint64_t h = (uint64_t)idx * 0x9E3779B97F4A7C15ull;

    for (int i = 0; i < SCAN_MEMO_SLOTS; i++) {
        struct pk_slot *sl = &p->memo[(h + (uint64_t)i) % SCAN_MEMO_SLOTS];
        if (sl->idx == idx)
            return sl;
        if (sl->idx == -1) {
            if (!insert || p->nmemo >= SCAN_MEMO_SLOTS * 3 / 4)
                return NULL;
            sl->idx = idx;
            p->nmemo++;
            return sl;
        }
    }
    return NULL;
}

/* memo[idx] = the top of the stack. */
static void
memo_put(struct pk *p, int64_t idx)
{
    const struct pk_ent *top;
    struct pk_slot *sl;

    if (p->depth == 0 || p->stack[p->depth - 1].kind == K_MARK) {
        fail(p, "memo store of an empty stack");
        return;
    }
    top = &p->stack[p->depth - 1];
    sl = memo_find(p, idx, top->kind != K_OBJ);
    if (!sl) {
        /* Not kept: a later GET of idx cannot be told from a non-string. */
        if (top->kind != K_OBJ)
            p->memo_lost = true;
        return;
    }
    sl->kind = top->kind;
    sl->len = top->len;
    if (top->kind == K_STR)
        memcpy(sl->text, p->pool + top->off, top->len);
}

static void
memo_get(struct pk *p, int64_t idx)
{
    const struct pk_slot *sl;

    /* A pickle mixing PUT and MEMOIZE makes MEMOIZE's index (the memo's length) depend on
     * entries the scanner does not keep: no lookup can be trusted. */
    if (p->used_put && p->used_memoize) {
        push(p, K_LOST, NULL, 0);
        return;
    }
    sl = memo_find(p, idx, false);
    if (sl)
        push(p, (enum kind)sl->kind, sl->text, sl->len);
    else
        push(p, p->memo_lost ? K_LOST : K_OBJ, NULL, 0);
}

/* ---- opcodes ---- */

static void
import_of(struct pk *p, const char *module, const char *name)
{
    scan_import(p->s, module, name, ops[p->op].name, p->where, p->op_pos);
}

static void
stack_global(struct pk *p)
{
    const struct pk_ent *m, *n;
    char module[SCAN_NAME_MAX + 1], name[SCAN_NAME_MAX + 1];

    if (p->depth < 2 || p->stack[p->depth - 1].kind == K_MARK ||
        p->stack[p->depth - 2].kind == K_MARK) {
        fail(p, "stack underflow");
        return;
    }
    m = &p->stack[p->depth - 2];
    n = &p->stack[p->depth - 1];
    if (m->kind == K_BIG || m->kind == K_LOST || n->kind == K_BIG || n->kind == K_LOST) {
        fail(p, "STACK_GLOBAL operand the scanner did not keep (a bound)");
        return;
    }
    if (m->kind != K_STR || n->kind != K_STR) {
        import_of(p, NULL, NULL);
    } else {
        memcpy(module, p->pool + m->off, m->len);
        module[m->len] = '\0';
        memcpy(name, p->pool + n->off, n->len);
        name[n->len] = '\0';
        import_of(p, module, name);
    }
    if (pop(p, 2))
        push(p, K_OBJ, NULL, 0);
}

/* A protocol 0 line as a decimal memo index. */
static bool
line_index(struct pk *p, int64_t *out)
{
    int64_t v = 0;

    if (p->line_long || p->linelen == 0 || p->linelen > 18)
        return false;
    for (size_t i = 0; i < p->linelen; i++) {
        if (p->line[i] < '0' || p->line[i] > '9')
            return false;
        v = v * 10 + (p->line[i] - '0');
    }
    *out = v;
    return true;
}

/* STRING's argument is a quoted repr; one without escapes is kept, others are too long to
 * name (the scanner does not decode escapes). UNICODE's is raw-unicode-escape. */
static void
push_line_string(struct pk *p)
{
    size_t n = p->linelen;
    const char *t = p->line;

    if (p->line_long || memchr(t, '\\', n)) {
        push(p, K_BIG, NULL, 0);
        return;
    }
    if (p->op == 'S') {
        if (n < 2 || (t[0] != '\'' && t[0] != '"') || t[n - 1] != t[0]) {
            fail(p, "STRING argument not quoted");
            return;
        }
        t++;
        n -= 2;
    }
    if (n > SCAN_NAME_MAX)
        push(p, K_BIG, NULL, 0);
    else
        push(p, K_STR, t, n);
}

static void
memo_op(struct pk *p, bool put, int64_t idx)
{
    if (put) {
        p->used_put = true;
        memo_put(p, idx);
    } else {
        memo_get(p, idx);
    }
}

static void after_stop(struct pk *p);

/* The opcode p->op with its argument read: its effect on the model. */
static void
apply(struct pk *p)
{
    int64_t idx;
    uint8_t op = p->op;

    switch (op) {
    case '(':
        push(p, K_MARK, NULL, 0);
        break;
    case '.':
        if (pop(p, 1))
            after_stop(p);
        break;
    case '0':
    case 'a':
    case 'b':
        pop(p, 1);
        break;
    case 's':
        pop(p, 2);
        break;
    case '1':
    case 'e':
    case 'u':
    case 0x90:
        pop_mark(p);
        break;
    case '2':
        if (p->depth == 0 || p->stack[p->depth - 1].kind == K_MARK) {
            fail(p, "stack underflow");
        } else {
            struct pk_ent top = p->stack[p->depth - 1];
            push(p, (enum kind)top.kind, p->pool + top.off, top.len);
        }
        break;
    case 'Q':
    case 0x85:
        if (pop(p, 1))
            push(p, K_OBJ, NULL, 0);
        break;
    case 'R':
    case 0x81:
    case 0x86:
        if (pop(p, 2))
            push(p, K_OBJ, NULL, 0);
        break;
    case 0x87:
    case 0x92:
        if (pop(p, 3))
            push(p, K_OBJ, NULL, 0);
        break;
    case 'd':
    case 'l':
    case 't':
    case 'o':
    case 0x91:
        if (pop_mark(p))
            push(p, K_OBJ, NULL, 0);
        break;
    case 'c':
        import_of(p, p->module, p->line);
        push(p, K_OBJ, NULL, 0);
        break;
    case 'i':
        import_of(p, p->module, p->line);
        if (pop_mark(p))
            push(p, K_OBJ, NULL, 0);
        break;
    case 0x93:
        stack_global(p);
        break;
    case 0x82:
    case 0x83:
    case 0x84:
        /* The copyreg extension registry: an import named by a number, not a string. */
        import_of(p, NULL, NULL);
        push(p, K_OBJ, NULL, 0);
        break;
    case 'S':
    case 'V':
        push_line_string(p);
        break;
    case 'g':
    case 'p':
        if (!line_index(p, &idx))
            fail(p, "bad memo index");
        else
            memo_op(p, op == 'p', idx);
        break;
    case 'h':
    case 'j':
        memo_op(p, false, (int64_t)reg_le_uint(p->fixed, p->want));
        break;
    case 'q':
    case 'r':
        memo_op(p, true, (int64_t)reg_le_uint(p->fixed, p->want));
        break;
    case 0x94:
        p->used_memoize = true;
        memo_put(p, p->memo_len++);
        break;
    case 0x80:
        if (p->fixed[0] > 5)
            fail(p, "unsupported protocol");
        break;
    case 0x95:
    case 0x98:
        break; /* FRAME only announces a length; READONLY_BUFFER changes no stack entry */
    default:
        if (pushes_string(op))
            push(p, p->str_long ? K_BIG : K_STR, p->str, p->strlen);
        else
            push(p, K_OBJ, NULL, 0); /* every other opcode pushes one object */
        break;
    }
}

static bool
is_legacy_magic(const struct pk *p, size_t n)
{
    const uint8_t *b = p->first;

    if (n >= 2 && b[0] == 0x80) {
        b += 2;
        n -= 2;
    }
    if (n >= 9 && b[0] == 0x95) { /* protocol 4+: a FRAME opcode and its length first */
        b += 9;
        n -= 9;
    }
    return (n == sizeof(magic_long1) && memcmp(b, magic_long1, n) == 0) ||
           (n == sizeof(magic_long0) - 1 && memcmp(b, magic_long0, n) == 0);
}

/* A pickle ended. A raw file may hold more: the legacy torch format is five pickles (magic
 * number, protocol, sys_info, the model, the storage keys) and then the storages' raw bytes,
 * so after its magic number exactly five are walked; any other raw file goes on while the next
 * byte is PROTO (0x80, a protocol 2+ pickle starting), and what follows is data no unpickler
 * of the file reads. */
static void
after_stop(struct pk *p)
{
    p->npickles++;
    if (p->npickles == 1)
        p->legacy =
            p->multi && p->op_pos < sizeof(p->first) && is_legacy_magic(p, (size_t)p->op_pos + 1);
    reset_pickle(p);
    if (!p->multi || (p->legacy && p->npickles >= 5)) {
        p->state = S_DONE;
        p->finished = true;
    } else if (p->npickles >= SCAN_PICKLES_MAX) {
        fail(p, "more pickles in a row than the scanner walks");
    } else {
        p->state = p->legacy ? S_OP : S_BETWEEN;
    }
}

/* The opcode byte was read: set up for its argument. */
static void
start_op(struct pk *p, uint8_t op)
{
    const struct opinfo *oi = &ops[op];

    p->op = op;
    if (!oi->name) {
        fail(p, "unknown opcode");
        return;
    }
    p->have = 0;
    p->want = oi->width;
    p->linelen = 0;
    p->line_long = false;
    p->lines = 0;
    p->strlen = 0;
    p->str_long = false;
    switch (oi->arg) {
    case A_NONE:
        apply(p);
        break;
    case A_FIXED:
        p->state = S_FIXED;
        break;
    case A_LINE:
    case A_LINE2:
        p->state = S_LINE;
        break;
    default:
        p->state = S_LENGTH;
        break;
    }
}

/* A whole line was read ('\n' excluded). GLOBAL and INST take two: module, then name. */
static void
end_line(struct pk *p)
{
    p->line[p->linelen] = '\0';
    if (ops[p->op].arg == A_LINE2) {
        if (p->line_long || p->linelen > SCAN_NAME_MAX || p->linelen == 0 ||
            memchr(p->line, '\0', p->linelen)) {
            fail(p, "import name empty or longer than the scanner keeps");
            return;
        }
        if (p->lines++ == 0) {
            memcpy(p->module, p->line, p->linelen + 1);
            p->linelen = 0;
            return;
        }
    }
    p->state = S_OP;
    apply(p);
}

static size_t
feed_line(struct pk *p, const uint8_t *b, size_t n)
{
    const uint8_t *nl = memchr(b, '\n', n);
    size_t take = nl ? (size_t)(nl - b) : n;
    size_t room = SCAN_LINE_MAX - p->linelen;

    if (take > room) {
        p->line_long = true;
        memcpy(p->line + p->linelen, b, room);
        p->linelen += room;
    } else {
        memcpy(p->line + p->linelen, b, take);
        p->linelen += take;
    }
    if (!nl)
        return n;
    end_line(p);
    return take + 1;
}

static size_t
feed_data(struct pk *p, const uint8_t *b, size_t n)
{
    size_t take = n < p->remain ? n : (size_t)p->remain;

    if (pushes_string(p->op) && !p->str_long) {
        if (p->strlen + take > SCAN_NAME_MAX) {
            p->str_long = true;
        } else {
            memcpy(p->str + p->strlen, b, take);
            p->strlen += take;
        }
    }
    p->remain -= take;
    if (p->remain == 0) {
        p->state = S_OP;
        apply(p);
    }
    return take;
}

/* One step of the reader over b[0..n): returns the bytes it consumed (0: it stopped). */
static size_t
step(struct pk *p, const uint8_t *b, size_t n)
{
    size_t take;

    switch (p->state) {
    case S_BETWEEN:
        if (b[0] != 0x80) {
            p->state = S_DONE;
            p->finished = true;
            return 0;
        }
        p->state = S_OP;
        return 0;
    case S_OP:
        p->op_pos = p->pos;
        start_op(p, b[0]);
        return 1;
    case S_LINE:
        return feed_line(p, b, n);
    case S_DATA:
        return feed_data(p, b, n);
    case S_FIXED:
    case S_LENGTH:
        take = p->want - p->have < n ? p->want - p->have : n;
        memcpy(p->fixed + p->have, b, take);
        p->have += take;
        if (p->have < p->want)
            return take;
        if (p->state == S_FIXED) {
            p->state = S_OP;
            apply(p);
        } else {
            p->remain = reg_le_uint(p->fixed, p->want);
            p->state = S_DATA;
            if (p->remain == 0) {
                p->state = S_OP;
                apply(p);
            }
        }
        return take;
    default:
        return 0;
    }
}

size_t
pk_feed(struct pk *p, const uint8_t *b, size_t n)
{
    size_t done = 0;

    while (done < n && p->state != S_DONE && !scan_stopped(p->s)) {
        int before = p->state;
        size_t k;

        /* The first pickle's opening bytes, to tell the legacy torch magic number (after_stop
         * reads as many as the pickle turned out to hold). */
        if (p->npickles == 0 && p->pos < sizeof(p->first)) {
            size_t c = sizeof(p->first) - (size_t)p->pos;
            memcpy(p->first + p->pos, b + done, c < n - done ? c : n - done);
        }
        k = step(p, b + done, n - done);
        done += k;
        p->pos += k;
        if (k == 0 && p->state == before)
            break;
    }
    return done;
}

void
pk_end(struct pk *p)
{
    if (scan_stopped(p->s) || p->finished)
        return;
    if (p->state == S_BETWEEN) {
        p->finished = true;
        return;
    }
    p->op_pos = p->pos;
    if (p->legacy)
        fail(p, "legacy torch file ends before its five pickles");
    else
        fail(p, "stream ends without STOP (truncated)");
}
