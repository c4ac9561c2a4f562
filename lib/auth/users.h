/*
 * users.h - users, permissions and sessions: the access-control rules of the registry.
 *
 * A user has a name, an admin flag and a set of permissions (upload, search, download; admin
 * implies all). Logging in checks the password against its PBKDF2 record and issues a signed
 * token (auth/token.h) whose uses the store counts; every authenticated request spends one use.
 * The module depends on the store and the token secret only, never on the application.
 *
 * Ownership: struct reg_users borrows its store and the admin password string (the config's);
 * reg_users_cleanup() wipes the secret. Users and callers returned are filled from the arena
 * passed in; a struct reg_user's strings are borrowed from there.
 */
#ifndef REG_AUTH_USERS_H
#define REG_AUTH_USERS_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/backoff.h"
#include "auth/leases.h"
#include "auth/password.h"
#include "auth/token.h"
#include "auth/user.h"
#include "base/arena.h"
#include "base/config.h"
#include "base/status.h"

struct reg_store;

/* The access-control state of one process: where users and tokens live, the secret that signs
 * tokens, the policy taken from the config, and two password records derived once. */
struct reg_users {
    struct reg_store *store;                /* borrowed */
    unsigned char secret[REG_SECRET_BYTES]; /* shared through the store; signs tokens */
    const char *admin_password;             /* REGISTRY_ADMIN_PASSWORD, borrowed */
    int pbkdf2_iterations;                  /* for new password records */
    int token_ttl_seconds;                  /* lifetime of an issued token */
    int token_max_uses;                     /* read at every use, not fixed at login */
    int login_backoff_ms;                   /* REGISTRY_LOGIN_BACKOFF_MS; 0 = off */
    struct reg_backoff *backoff;            /* the host's table, borrowed; NULL = none */
    struct reg_leases *leases; /* the host's leased token uses, borrowed; NULL = count each use
                                  in the store */
    bool first_start;          /* this process's candidate became the secret */
    char admin_record[REG_PASSWORD_RECORD_MAX]; /* default admin's password, derived once */
    char dummy_record[REG_PASSWORD_RECORD_MAX]; /* checks against unknown users */
};

/* Fills *out from cfg's policy and takes the token secret from store: the first process to
 * start stores a random one and everyone uses that; that process (and only that one, however
 * many start at once, on any host sharing the store) gets first_start. Does not create the
 * default admin, and throttles no logins until backoff is set. REG_EINVAL if
 * REGISTRY_ADMIN_PASSWORD breaks the password rules. */
enum reg_status reg_users_init(struct reg_users *out, struct reg_store *store,
                               const struct reg_config *cfg);
/* Gives the host's leased token uses back to the store, wipes the secret and the cached
 * records; accepts NULL. The store is not closed. */
void reg_users_cleanup(struct reg_users *users);

/* Creates the default admin (REGISTRY_ADMIN_PASSWORD) unless it exists (DELETE /reset). */
enum reg_status reg_users_ensure_admin(struct reg_users *users);

/* At process start: creates the default admin on the first start of the store only, so an
 * admin who deleted it does not see it come back. A store with no admin at all (a first start
 * or a reset that died before creating it) gets it too: no admin can be deleted while it is the
 * last one, so such a store never had an operator's deletion to respect. */
enum reg_status reg_users_bootstrap_admin(struct reg_users *users);

/* Checks name + password and issues a token; *token is "bearer <token>" in the arena.
 * Unknown user or wrong password: REG_EDENIED. With a backoff table, a name with too many
 * consecutive failures is refused with REG_ETOOMANY (and a Retry-After recorded) before any
 * password check, known and unknown names alike. */
enum reg_status reg_users_login(struct reg_users *users, struct reg_arena *a, const char *name,
                                const char *password, const char **token);

/* After a store reset: every token is gone, so the host's leased uses are forgotten. */
void reg_users_store_was_reset(struct reg_users *users);

/* Issues a token for user name without a password check (the caller has authorised it: the
 * download workload mints tokens for the admin who started it), valid for ttl_seconds (the
 * configured lifetime when 0 or more than it); *token is "bearer <token>" in the arena. */
enum reg_status reg_users_issue_token(struct reg_users *users, struct reg_arena *a,
                                      const char *name, int ttl_seconds, const char **token);

/* Checks an X-Authorization value ("bearer <token>" or the bare token), spends one use and
 * fills *out. Missing, malformed, forged, expired, revoked or exhausted: REG_EAUTH. */
enum reg_status reg_users_authorize(struct reg_users *users, struct reg_arena *a,
                                    const char *header, struct reg_caller *out);
/* The same check without spending a use: for nginx's check of an upload before it reads
 * the body (the upload itself then spends its one use through reg_users_authorize). */
enum reg_status reg_users_check(struct reg_users *users, struct reg_arena *a, const char *header,
                                struct reg_caller *out);

/* Registers a user (admin only, checked by the route). REG_ECONFLICT if the name is taken. */
enum reg_status reg_users_create(struct reg_users *users, const char *name, const char *password,
                                 unsigned perms, struct reg_user *out);
enum reg_status reg_users_get(struct reg_users *users, struct reg_arena *a, const char *name,
                              struct reg_user *out);
enum reg_status reg_users_list(struct reg_users *users, struct reg_arena *a, struct reg_user **out,
                               int *count);
/* Deletes a user and revokes their tokens; the last admin cannot be deleted (REG_ECONFLICT). */
enum reg_status reg_users_delete(struct reg_users *users, const char *name);
/* Replaces a user's permissions; the last admin cannot lose admin (REG_ECONFLICT). */
enum reg_status reg_users_set_perms(struct reg_users *users, struct reg_arena *a, const char *name,
                                    unsigned perms, struct reg_user *out);

/* REG_EINVAL unless name is a valid user name (the artifact name rules). */
enum reg_status reg_users_check_name(const char *name);
/* REG_EINVAL unless password is UTF-8 of at least REG_PASSWORD_MIN characters and at most
 * REG_PASSWORD_MAX bytes (the rule for new passwords; logging in checks none). */
enum reg_status reg_users_check_password(const char *password);

#endif
