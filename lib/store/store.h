/*
 * store.h - the storage interface: a table of functions with one file per backend. core/
 * sees only this.
 *
 * Backends: store_sqlite.c (embedded, the default) and store_dynamodb.c (shared; with
 * store_dynamodb_auth.c and dynamodb_items.c).
 * Ownership: strings of artifacts a store returns are allocated from the arena the caller
 * passes; arrays likewise. A store is opened per process (after fork) and closed with
 * reg_store_close(), which accepts NULL.
 */
#ifndef REG_STORE_STORE_H
#define REG_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/config.h"
#include "base/status.h"
#include "core/artifact.h"

/* One enumerate query: name (NULL matches any name) and a REG_TYPE_BIT mask. */
struct reg_store_filter {
    const char *name;
    unsigned types;
};

/* One page of artifacts in store order; next_after is 0 on the last page. */
struct reg_store_page {
    struct reg_artifact *items;
    int count;
    int64_t next_after;
};

/* Called for each artifact by scan; strings are valid only during the call. A non-OK
 * return stops the scan and is returned by it. */
typedef enum reg_status (*reg_store_scan_fn)(void *ctx, const struct reg_artifact *art);

/* Called for each README by the search feed with the artifact's id and the README's first
 * bytes (len of them, NUL-terminated); valid only during the call. A non-OK return stops the
 * feed and is returned by it. */
typedef enum reg_status (*reg_store_readme_fn)(void *ctx, const char *id, const char *text,
                                               size_t len);

struct reg_store;
struct reg_user;
struct reg_audit_entry;
struct reg_audit_page;
struct reg_sensitive;
struct reg_download_event;
struct reg_download_page;
struct reg_group;

struct reg_store_ops {
    const char *name;
    /* Inserts art (id already set). REG_ECONFLICT with *id_taken false: the type + url is
     * registered; with *id_taken true: the id is in use (the caller picks another). */
    enum reg_status (*insert)(struct reg_store *s, struct reg_artifact *art, bool *id_taken);
    enum reg_status (*get)(struct reg_store *s, struct reg_arena *a, const char *id,
                           struct reg_artifact *out);
    /* Replaces name, url, readme and metadata of the artifact with art->id. */
    enum reg_status (*update)(struct reg_store *s, const struct reg_artifact *art);
    enum reg_status (*remove)(struct reg_store *s, const char *id);
    /* Artifacts matching any filter, with seq > after, at most limit of them. */
    enum reg_status (*list)(struct reg_store *s, struct reg_arena *a,
                            const struct reg_store_filter *filters, int nfilters, int64_t after,
                            int limit, struct reg_store_page *out);
    /* Every artifact with its metadata, in store order; readme is NULL (READMEs are read by
     * readmes, so that no caller holds all of them). */
    enum reg_status (*scan)(struct reg_store *s, reg_store_scan_fn fn, void *ctx);
    /* The search feed: for every artifact that has a (non-empty) README, its first max_bytes
     * bytes (cut back to a whole UTF-8 character; max_bytes <= REG_SEARCH_README_MAX), in no
     * particular order. Holds one README's prefix (or one page of items) at a time, whatever
     * the number of artifacts. */
    enum reg_status (*readmes)(struct reg_store *s, size_t max_bytes, reg_store_readme_fn fn,
                               void *ctx);
    /* A counter that changes whenever any artifact changes (for caches). */
    enum reg_status (*generation)(struct reg_store *s, uint64_t *out);
    /* Number of artifacts. */
    enum reg_status (*count)(struct reg_store *s, int64_t *out);
    /* Removes every artifact, user, token, audit entry and sensitive-model record (the token
     * secret stays). */
    enum reg_status (*reset)(struct reg_store *s);

    /* Users (auth/user.h). insert: REG_ECONFLICT if the name is taken. */
    enum reg_status (*user_insert)(struct reg_store *s, const struct reg_user *u);
    enum reg_status (*user_get)(struct reg_store *s, struct reg_arena *a, const char *name,
                                struct reg_user *out);
    enum reg_status (*user_list)(struct reg_store *s, struct reg_arena *a, struct reg_user **out,
                                 int *count);
    /* Replaces is_admin and perms of the user named u->name. Taking admin from the last admin
     * is refused with REG_ECONFLICT, atomically with the change. */
    enum reg_status (*user_update)(struct reg_store *s, const struct reg_user *u);
    /* Removes the user and every token of theirs. Removing the last admin is refused with
     * REG_ECONFLICT, atomically with the removal. */
    enum reg_status (*user_remove)(struct reg_store *s, const char *name);

    /* Tokens: a row per issued token, counting its uses. */
    enum reg_status (*token_insert)(struct reg_store *s, const char *id, const char *user);
    /* Spends min(want, max_uses - uses) uses of token id (issued to user) at once, if it has
     * fewer than max_uses: *granted (1..want) says how many, *uses is the count after them.
     * REG_EAUTH if the token is unknown (revoked) or exhausted. Exact under concurrency: the
     * uses granted to all callers together never pass max_uses. Hosts lease uses in blocks
     * this way (auth/leases.h); want 1 is a plain counted use. */
    enum reg_status (*token_take)(struct reg_store *s, const char *user, const char *id,
                                  int64_t max_uses, int64_t want, int64_t *granted, int64_t *uses);
    /* Returns n uses taken by token_take and not spent (a lease's rest): the count goes down
     * by n, never below 0. A token that no longer exists is no error (nothing to return). */
    enum reg_status (*token_give_back)(struct reg_store *s, const char *user, const char *id,
                                       int64_t n);
    /* Whether token id (issued to user) would be accepted by token_take, without spending a
     * use: REG_EAUTH, with token_take's details, if it is unknown (revoked) or exhausted. A
     * pre-check only: a use may still be refused by the token_take that follows. */
    enum reg_status (*token_check)(struct reg_store *s, const char *user, const char *id,
                                   int64_t max_uses);

    /* Audit entries (core/audit.h), listed oldest first. */
    enum reg_status (*audit_append)(struct reg_store *s, const struct reg_audit_entry *e);
    /* Appends e unless e->user already has an entry of e->action on e's artifact, appended by
     * this call, dated after e->date - window; *appended says which. Of concurrent calls within
     * one window, exactly one appends. (Whether entries of that action appended by
     * audit_append count is the backend's: the registry appends an action one way only.) */
    enum reg_status (*audit_append_once)(struct reg_store *s, const struct reg_audit_entry *e,
                                         int64_t window, bool *appended);
    /* At most limit entries of the artifact that follow cursor after (0: from the first), and
     * in out->next_after the cursor of the rest (0 when none remain). */
    enum reg_status (*audit_list)(struct reg_store *s, struct reg_arena *a, const char *artifact_id,
                                  int64_t after, int limit, struct reg_audit_page *out);

    /* Sensitive models (core/sensitive.h); the records go with the artifact (remove, reset).
     * sensitive_get: REG_ENOTFOUND when id is not marked. sensitive_put marks id, dated now
     * when it was not marked yet; with set_program its program becomes program (NULL: none),
     * otherwise a program it has stays. sensitive_remove: REG_ENOTFOUND when not marked. */
    enum reg_status (*sensitive_get)(struct reg_store *s, struct reg_arena *a, const char *id,
                                     struct reg_sensitive *out);
    enum reg_status (*sensitive_put)(struct reg_store *s, const char *id, const char *program,
                                     bool set_program, int64_t now);
    enum reg_status (*sensitive_remove)(struct reg_store *s, const char *id);
    /* A sensitive model's download history, in the order appended; pages as audit_list's. */
    enum reg_status (*download_append)(struct reg_store *s, const struct reg_download_event *e);
    enum reg_status (*download_list)(struct reg_store *s, struct reg_arena *a,
                                     const char *artifact_id, int64_t after, int limit,
                                     struct reg_download_page *out);

    /* Package groups (core/groups.h). group_put stores g: a new group when expect_version < 0
     * (REG_ECONFLICT if the id is taken), else a replacement of the stored one only if its
     * version is still expect_version (REG_ECONFLICT otherwise, REG_ENOTFOUND when gone).
     * group_get: REG_ENOTFOUND when absent. */
    enum reg_status (*group_put)(struct reg_store *s, const struct reg_group *g,
                                 int64_t expect_version);
    enum reg_status (*group_get)(struct reg_store *s, struct reg_arena *a, const char *id,
                                 struct reg_group *out);
    /* Writes the n artifacts (updated[i]: arts[i] replaces the stored artifact of its id, as
     * update does; else it is inserted as insert does, a taken id being REG_ECONFLICT) and
     * replaces the group with g, if its version is still expect_version: all of it becomes
     * visible to every reader at once, or none of it does (a failure at any point, a crash
     * included). REG_ECONFLICT when a URL is registered or the group changed meanwhile. */
    enum reg_status (*group_commit)(struct reg_store *s, const struct reg_group *g,
                                    int64_t expect_version, struct reg_artifact *arts,
                                    const bool *updated, int n);
    /* Removes every group that expired before now, finishing or undoing what a group left
     * half-written (a worker that died during its commit). */
    enum reg_status (*group_sweep)(struct reg_store *s, int64_t now);

    /* The server secret that signs tokens: candidate is stored if none is yet, and *out is
     * the stored one, so every worker and host ends up with the same. */
    enum reg_status (*secret)(struct reg_store *s, const unsigned char candidate[32],
                              unsigned char out[32]);

    void (*close)(struct reg_store *s);
};

struct reg_store {
    const struct reg_store_ops *ops;
};

/* Opens the backend named by cfg->store ("sqlite"), creating or migrating its schema. */
enum reg_status reg_store_open(const struct reg_config *cfg, struct reg_store **out);
void reg_store_close(struct reg_store *s);

/* The calls core/ makes; each forwards to the backend's function of the same name. */
enum reg_status reg_store_insert(struct reg_store *s, struct reg_artifact *art, bool *id_taken);
enum reg_status reg_store_get(struct reg_store *s, struct reg_arena *a, const char *id,
                              struct reg_artifact *out);
enum reg_status reg_store_update(struct reg_store *s, const struct reg_artifact *art);
enum reg_status reg_store_remove(struct reg_store *s, const char *id);
enum reg_status reg_store_list(struct reg_store *s, struct reg_arena *a,
                               const struct reg_store_filter *filters, int nfilters, int64_t after,
                               int limit, struct reg_store_page *out);
enum reg_status reg_store_scan(struct reg_store *s, reg_store_scan_fn fn, void *ctx);
enum reg_status reg_store_readmes(struct reg_store *s, size_t max_bytes, reg_store_readme_fn fn,
                                  void *ctx);
enum reg_status reg_store_generation(struct reg_store *s, uint64_t *out);
enum reg_status reg_store_count(struct reg_store *s, int64_t *out);
enum reg_status reg_store_reset(struct reg_store *s);
enum reg_status reg_store_user_insert(struct reg_store *s, const struct reg_user *u);
enum reg_status reg_store_user_get(struct reg_store *s, struct reg_arena *a, const char *name,
                                   struct reg_user *out);
enum reg_status reg_store_user_list(struct reg_store *s, struct reg_arena *a, struct reg_user **out,
                                    int *count);
enum reg_status reg_store_user_update(struct reg_store *s, const struct reg_user *u);
enum reg_status reg_store_user_remove(struct reg_store *s, const char *name);
enum reg_status reg_store_token_insert(struct reg_store *s, const char *id, const char *user);
enum reg_status reg_store_token_use(struct reg_store *s, const char *user, const char *id,
                                    int64_t max_uses, int64_t *uses);
enum reg_status reg_store_token_take(struct reg_store *s, const char *user, const char *id,
                                     int64_t max_uses, int64_t want, int64_t *granted,
                                     int64_t *uses);
enum reg_status reg_store_token_give_back(struct reg_store *s, const char *user, const char *id,
                                          int64_t n);
enum reg_status reg_store_token_check(struct reg_store *s, const char *user, const char *id,
                                      int64_t max_uses);
enum reg_status reg_store_audit_append(struct reg_store *s, const struct reg_audit_entry *e);
enum reg_status reg_store_audit_append_once(struct reg_store *s, const struct reg_audit_entry *e,
                                            int64_t window, bool *appended);
enum reg_status reg_store_audit_list(struct reg_store *s, struct reg_arena *a,
                                     const char *artifact_id, int64_t after, int limit,
                                     struct reg_audit_page *out);
enum reg_status reg_store_secret(struct reg_store *s, const unsigned char candidate[32],
                                 unsigned char out[32]);
enum reg_status reg_store_sensitive_get(struct reg_store *s, struct reg_arena *a, const char *id,
                                        struct reg_sensitive *out);
enum reg_status reg_store_sensitive_put(struct reg_store *s, const char *id, const char *program,
                                        bool set_program, int64_t now);
enum reg_status reg_store_sensitive_remove(struct reg_store *s, const char *id);
enum reg_status reg_store_download_append(struct reg_store *s, const struct reg_download_event *e);
enum reg_status reg_store_download_list(struct reg_store *s, struct reg_arena *a,
                                        const char *artifact_id, int64_t after, int limit,
                                        struct reg_download_page *out);
enum reg_status reg_store_group_put(struct reg_store *s, const struct reg_group *g,
                                    int64_t expect_version);
enum reg_status reg_store_group_get(struct reg_store *s, struct reg_arena *a, const char *id,
                                    struct reg_group *out);
enum reg_status reg_store_group_commit(struct reg_store *s, const struct reg_group *g,
                                       int64_t expect_version, struct reg_artifact *arts,
                                       const bool *updated, int n);
enum reg_status reg_store_group_sweep(struct reg_store *s, int64_t now);

/* The DynamoDB backend on cfg->dynamodb_table (created when missing). */
enum reg_status reg_store_dynamodb_open(const struct reg_config *cfg, struct reg_store **out);

/* The SQLite backend on the file path (":memory:" for tests). */
enum reg_status reg_store_sqlite_open(const char *path, struct reg_store **out);

#endif
