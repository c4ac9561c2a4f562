/*
 * arena.h - per-request bump allocator with cleanup hooks (after nginx's ngx_pool_t).
 *
 * Ownership: everything allocated from an arena, and every object handed to it with a cleanup
 * hook, lives until reg_arena_cleanup(). Code that allocates from an arena never frees.
 * Running out of memory aborts the process (a worker is respawned by the master), so the
 * allocation functions never return NULL.
 */
#ifndef REG_BASE_ARENA_H
#define REG_BASE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct json_object;
struct reg_arena_chunk;
struct reg_arena_hook;

struct reg_arena {
    struct reg_arena_chunk *chunks;
    struct reg_arena_hook *hooks;
};

void reg_arena_init(struct reg_arena *a);
/* Runs the cleanup hooks (newest first) and frees every chunk; the arena can be reused. */
void reg_arena_cleanup(struct reg_arena *a);

/* size bytes aligned for any type; zeroed. */
void *reg_arena_alloc(struct reg_arena *a, size_t size);
char *reg_arena_strdup(struct reg_arena *a, const char *s);
char *reg_arena_strndup(struct reg_arena *a, const char *s, size_t n);
char *reg_arena_sprintf(struct reg_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Calls fn(ptr) at cleanup. */
void reg_arena_on_cleanup(struct reg_arena *a, void (*fn)(void *), void *ptr);
/* Releases the caller's reference of a json-c object at cleanup; returns obj. */
struct json_object *reg_arena_own_json(struct reg_arena *a, struct json_object *obj);

/* Aborts with a message: the one reaction to exhausted memory. */
_Noreturn void reg_oom(void);

#endif
