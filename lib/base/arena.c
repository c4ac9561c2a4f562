/*
 * arena.c - chunked bump allocation; large requests get a chunk of their own.
 */
#include "base/arena.h"

#include <json-c/json.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE 8192

struct reg_arena_chunk {
    struct reg_arena_chunk *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
};

struct reg_arena_hook {
    struct reg_arena_hook *next;
    void (*fn)(void *);
    void *ptr;
};

void
reg_oom(void)
{
    fputs("registry: out of memory\n", stderr);
    abort();
}

void
reg_arena_init(struct reg_arena *a)
{
    a->chunks = NULL;
    a->hooks = NULL;
}

void
reg_arena_cleanup(struct reg_arena *a)
{
    while (a->hooks) {
        struct reg_arena_hook *h = a->hooks;
        a->hooks = h->next;
        h->fn(h->ptr);
    }
    while (a->chunks) {
        struct reg_arena_chunk *c = a->chunks;
        a->chunks = c->next;
        free(c);
    }
}

static struct reg_arena_chunk *
new_chunk(struct reg_arena *a, size_t size)
{
    struct reg_arena_chunk *c = size > SIZE_MAX - sizeof(*c) ? NULL : malloc(sizeof(*c) + size);

    if (!c)
        reg_oom();
    c->size = size;
    c->used = 0;
    c->next = a->chunks;
    a->chunks = c;
    return c;
}

void *
reg_arena_alloc(struct reg_arena *a, size_t size)
{
    const size_t align = alignof(max_align_t);
    size_t need = (size + align - 1) & ~(align - 1);
    struct reg_arena_chunk *c = a->chunks;
    void *p;

    if (need < size)
        reg_oom();
    if (need > CHUNK_SIZE / 4) {
        /* Big blocks get their own chunk, linked behind the current one to keep using it. */
        struct reg_arena_chunk *big = new_chunk(a, need);
        if (c) {
            a->chunks = c;
            big->next = c->next;
            c->next = big;
        }
        big->used = need;
        memset(big->data, 0, need);
        return big->data;
    }
    if (!c || c->size - c->used < need)
        c = new_chunk(a, CHUNK_SIZE);
    p = c->data + c->used;
    c->used += need;
    memset(p, 0, need);
    return p;
}

char *
reg_arena_strndup(struct reg_arena *a, const char *s, size_t n)
{
    char *p = reg_arena_alloc(a, n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
reg_arena_strdup(struct reg_arena *a, const char *s)
{
    return reg_arena_strndup(a, s, strlen(s));
}

char *
reg_arena_sprintf(struct reg_arena *a, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        reg_oom();
    p = reg_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void
reg_arena_on_cleanup(struct reg_arena *a, void (*fn)(void *), void *ptr)
{
    struct reg_arena_hook *h = reg_arena_alloc(a, sizeof(*h));

    h->fn = fn;
    h->ptr = ptr;
    h->next = a->hooks;
    a->hooks = h;
}

static void
put_json(void *obj)
{
    json_object_put(obj);
}

struct json_object *
reg_arena_own_json(struct reg_arena *a, struct json_object *obj)
{
    if (obj)
        reg_arena_on_cleanup(a, put_json, obj);
    return obj;
}
