/*
 * store_helpers.h - what the store tests share: the store under test with an arena for what it
 * returns (struct contract), and the small steps their cases are made of: an artifact, a user, a
 * token, an audit entry or a secret put in, a count read out. The contract cases
 * (store_contract.c) are written with them, and so are the backends' own cases
 * (test_store_sqlite.c, test_store_auth.c, test_store_dynamodb.c), whose fixtures start with a
 * struct contract.
 * Included after unit.h; the helpers are static inline, so that a test file that uses only some
 * of them does not warn about the others.
 *
 * Ownership: strings a helper builds or the store returns live in the struct contract's arena.
 */
#ifndef REG_TEST_STORE_HELPERS_H
#define REG_TEST_STORE_HELPERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "auth/users.h"
#include "base/arena.h"
#include "core/audit.h"
#include "store/store.h"

/* What a case works with: the store under test and an arena for what it returns. A backend's
 * fixture has one as its first member, so that the contract cases find the store at the start
 * of *state. */
struct contract {
    struct reg_store *store;
    struct reg_arena arena;
};

/* ------------------------------------------------------------------------------ artifacts */

/* An artifact whose strings live in f's arena. */
static inline struct reg_artifact
sc_make(struct contract *f, const char *id, enum reg_artifact_type t, const char *name,
        const char *url)
{
    struct reg_artifact art;

    memset(&art, 0, sizeof(art));
    snprintf(art.id, sizeof(art.id), "%s", id);
    art.type = t;
    art.name = reg_arena_strdup(&f->arena, name);
    art.url = reg_arena_strdup(&f->arena, url);
    return art;
}

/* Inserts a plain artifact (url derived from the id) and returns its seq. */
static inline int64_t
sc_put(struct contract *f, const char *id, enum reg_artifact_type t, const char *name)
{
    struct reg_artifact art =
        sc_make(f, id, t, name, reg_arena_sprintf(&f->arena, "https://example/%s", id));
    bool taken = true;
    enum reg_status st = reg_store_insert(f->store, &art, &taken);

    if (st != REG_OK)
        fail_msg("insert %s: status %d (%s)", id, st, reg_error_detail());
    assert_false(taken);
    assert_true(art.seq > 0);
    return art.seq;
}

/* The store's generation. */
static inline uint64_t
sc_generation(struct contract *f)
{
    uint64_t g = 0;

    assert_int_equal(reg_store_generation(f->store, &g), REG_OK);
    return g;
}

/* How many artifacts the store holds. */
static inline int64_t
sc_count(struct contract *f)
{
    int64_t n = -1;

    assert_int_equal(reg_store_count(f->store, &n), REG_OK);
    return n;
}

/* The README of id as get returns it ("(null)" for none). */
static inline const char *
sc_readme_of(struct contract *f, const char *id)
{
    struct reg_artifact got;

    assert_int_equal(reg_store_get(f->store, &f->arena, id, &got), REG_OK);
    return got.readme ? got.readme : "(null)";
}

/* -------------------------------------------------------------------------------- users */

/* A user of those fields (strings borrowed). */
static inline struct reg_user
sc_user(const char *name, bool is_admin, unsigned perms, const char *password)
{
    struct reg_user u = {name, is_admin, perms, password};

    return u;
}

/* Inserts a user with perms (an admin when they include REG_PERM_ADMIN). */
static inline void
sc_add_user(struct contract *f, const char *name, unsigned perms)
{
    struct reg_user u = sc_user(name, (perms & REG_PERM_ADMIN) != 0, perms, "pbkdf2-sha256$1$x$y");

    assert_int_equal(reg_store_user_insert(f->store, &u), REG_OK);
}

/* Inserts token id of user name. */
static inline void
sc_add_token(struct contract *f, const char *id, const char *name)
{
    assert_int_equal(reg_store_token_insert(f->store, id, name), REG_OK);
}

/* token_use of token id of user name, with at most max uses; uses may be NULL. (SQLite keys a
 * token by its id alone and DynamoDB by user and id; tests pass the right user either way.) */
static inline enum reg_status
sc_use(struct contract *f, const char *name, const char *id, int64_t max, int64_t *uses)
{
    int64_t ignored;

    return reg_store_token_use(f->store, name, id, max, uses ? uses : &ignored);
}

/* How many users are admins. */
static inline int
sc_admin_count(struct contract *f)
{
    struct reg_user *all;
    int n = -1, admins = 0;

    assert_int_equal(reg_store_user_list(f->store, &f->arena, &all, &n), REG_OK);
    for (int i = 0; i < n; i++)
        admins += all[i].is_admin;
    return admins;
}

/* -------------------------------------------------------------------------------- audit */

/* An artifact as an audit entry names it: id, type and name (borrowed), no url. */
static inline struct reg_artifact
sc_artifact(const char *id, enum reg_artifact_type t, const char *name)
{
    struct reg_artifact art;

    memset(&art, 0, sizeof(art));
    snprintf(art.id, sizeof(art.id), "%s", id);
    art.type = t;
    art.name = name;
    return art;
}

/* Inserts a plain artifact (url derived from the id). */
static inline void
sc_put_artifact(struct contract *f, const char *id, enum reg_artifact_type t, const char *name)
{
    struct reg_artifact art = sc_artifact(id, t, name);
    bool taken;

    art.url = reg_arena_sprintf(&f->arena, "https://example/%s", id);
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
}

/* Appends an audit entry: who (an admin or not) did action on the artifact at date. */
static inline void
sc_append(struct contract *f, const char *id, enum reg_artifact_type t, const char *name,
          const char *who, bool is_admin, enum reg_audit_action action, int64_t date)
{
    struct reg_audit_entry e;

    memset(&e, 0, sizeof(e));
    e.user = who;
    e.is_admin = is_admin;
    e.date = date;
    e.artifact = sc_artifact(id, t, name);
    e.action = action;
    assert_int_equal(reg_store_audit_append(f->store, &e), REG_OK);
}

/* Every audit entry of artifact id, oldest first, read in pages of page_size (each page but
 * the last full, and each naming the next); *n is how many. */
static inline struct reg_audit_entry *
sc_audit_pages(struct contract *f, const char *id, int page_size, int *n)
{
    struct reg_audit_entry *all = NULL;
    struct reg_audit_page page;
    int64_t after = 0;

    *n = 0;
    do {
        struct reg_audit_entry *grown;
        assert_int_equal(reg_store_audit_list(f->store, &f->arena, id, after, page_size, &page),
                         REG_OK);
        assert_true(page.count <= page_size);
        assert_true(page.next_after == 0 || page.count == page_size);
        assert_true(page.next_after == 0 || page.next_after > after);
        grown = reg_arena_alloc(&f->arena, sizeof(*grown) * (size_t)(*n + page.count + 1));
        if (*n)
            memcpy(grown, all, sizeof(*grown) * (size_t)*n);
        if (page.count)
            memcpy(grown + *n, page.items, sizeof(*grown) * (size_t)page.count);
        all = grown;
        *n += page.count;
        after = page.next_after;
    } while (after != 0);
    return all;
}

/* Every audit entry of artifact id, oldest first (pages of REG_AUDIT_PAGE_SIZE). */
static inline struct reg_audit_entry *
sc_audit_all(struct contract *f, const char *id, int *n)
{
    return sc_audit_pages(f, id, REG_AUDIT_PAGE_SIZE, n);
}

/* How many audit entries artifact id has. */
static inline int
sc_audit_count(struct contract *f, const char *id)
{
    int n = -1;

    (void)sc_audit_all(f, id, &n);
    return n;
}

/* ------------------------------------------------------------------------------- secret */

/* A 32-byte secret: v, v + 1, ... */
static inline void
sc_fill(unsigned char out[32], unsigned char v)
{
    for (int i = 0; i < 32; i++)
        out[i] = (unsigned char)(v + i);
}

#endif
