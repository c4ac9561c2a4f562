/*
 * users.c - the access-control state (token secret, policy), logging in, checking tokens, and
 * managing users and their permissions.
 */
#include "auth/users.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth/token_uses.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/str.h"
#include "core/artifact.h"
#include "store/store.h"

/* REGISTRY_ADMIN_PASSWORD becomes a new password on every first start and reset, so it
 * follows the rules for new passwords. */
static enum reg_status
check_admin_password(const char *password)
{
    char why[REG_ERROR_DETAIL_MAX];

    if (reg_users_check_password(password) == REG_OK)
        return REG_OK;
    snprintf(why, sizeof(why), "%s", reg_error_detail());
    return reg_errorf(REG_EINVAL, "REGISTRY_ADMIN_PASSWORD: %s", why);
}

enum reg_status
reg_users_init(struct reg_users *out, struct reg_store *store, const struct reg_config *cfg)
{
    unsigned char candidate[REG_SECRET_BYTES];
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    out->store = store;
    out->admin_password = cfg->admin_password;
    out->pbkdf2_iterations = cfg->pbkdf2_iterations;
    out->token_ttl_seconds = cfg->token_ttl_seconds;
    out->token_max_uses = cfg->token_max_uses;
    out->login_backoff_ms = cfg->login_backoff_ms;
    st = check_admin_password(cfg->admin_password);
    if (st != REG_OK)
        return st;
    /* The first process to start stores its candidate; everyone uses the stored one. The
     * store keeps exactly one candidate, so exactly one process finds its own there: comparing
     * values (rather than trusting "my write succeeded") holds even when a write that landed
     * is retried and reported as a conflict. */
    if (RAND_bytes(candidate, sizeof(candidate)) != 1)
        return reg_errorf(REG_EINTERNAL, "no randomness for the token secret");
    st = reg_store_secret(store, candidate, out->secret);
    out->first_start =
        st == REG_OK && CRYPTO_memcmp(candidate, out->secret, sizeof(candidate)) == 0;
    OPENSSL_cleanse(candidate, sizeof(candidate));
    return st;
}

void
reg_users_cleanup(struct reg_users *users)
{
    if (!users)
        return;
    if (users->store)
        reg_token_uses_release(users->store, users->leases);
    OPENSSL_cleanse(users->secret, sizeof(users->secret));
    OPENSSL_cleanse(users->admin_record, sizeof(users->admin_record));
    OPENSSL_cleanse(users->dummy_record, sizeof(users->dummy_record));
}

enum reg_status
reg_users_check_name(const char *name)
{
    if (reg_artifact_name_check(name) != REG_OK)
        return reg_errorf(REG_EINVAL, "user name: %s", reg_error_detail());
    return REG_OK;
}

enum reg_status
reg_users_check_password(const char *password)
{
    size_t n = strlen(password), chars = 0;

    if (n > REG_PASSWORD_MAX)
        return reg_errorf(REG_EINVAL, "password must be at most %d bytes", REG_PASSWORD_MAX);
    if (!reg_str_is_utf8(password, n))
        return reg_errorf(REG_EINVAL, "password must be valid UTF-8");
    /* Characters, not bytes: every byte that does not continue a UTF-8 sequence starts one. */
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)password[i] & 0xC0) != 0x80;
    if (chars < REG_PASSWORD_MIN)
        return reg_errorf(REG_EINVAL, "password must have at least %d characters, not %zu",
                          REG_PASSWORD_MIN, chars);
    return REG_OK;
}

/* Admin holds every permission; the flag and the bit always agree. */
static unsigned
normalize_perms(unsigned perms)
{
    return (perms & REG_PERM_ADMIN) ? REG_PERM_ALL : perms;
}

/* Stores a user with the given password record; out->password is cleared afterwards. */
static enum reg_status
insert_user(struct reg_users *users, const char *name, const char *record, unsigned perms,
            struct reg_user *out)
{
    enum reg_status st;

    out->name = name;
    out->perms = normalize_perms(perms);
    out->is_admin = (out->perms & REG_PERM_ADMIN) != 0;
    out->password = record;
    st = reg_store_user_insert(users->store, out);
    out->password = NULL;
    return st;
}

enum reg_status
reg_users_ensure_admin(struct reg_users *users)
{
    struct reg_arena a;
    struct reg_user u;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_store_user_get(users->store, &a, REG_DEFAULT_ADMIN, &u);
    reg_arena_cleanup(&a);
    if (st != REG_ENOTFOUND)
        return st;
    /* The record is derived once per process: every reset re-creates the admin, and a KDF run
     * costs a fifth of a second by design. */
    if (!users->admin_record[0]) {
        st =
            reg_password_hash(users->admin_password, users->pbkdf2_iterations, users->admin_record);
        if (st != REG_OK)
            return st;
    }
    st = insert_user(users, REG_DEFAULT_ADMIN, users->admin_record, REG_PERM_ALL, &u);
    /* Another worker may have created it in the meantime. */
    return st == REG_ECONFLICT ? REG_OK : st;
}

/* Whether the store holds an admin: the default one, or any other. */
static enum reg_status
has_admin(struct reg_users *users, bool *out)
{
    struct reg_arena a;
    struct reg_user u, *list = NULL;
    int count = 0;
    enum reg_status st;

    *out = false;
    reg_arena_init(&a);
    st = reg_store_user_get(users->store, &a, REG_DEFAULT_ADMIN, &u);
    if (st == REG_OK && u.is_admin)
        *out = true;
    else if (st == REG_OK || st == REG_ENOTFOUND)
        st = reg_store_user_list(users->store, &a, &list, &count);
    for (int i = 0; st == REG_OK && i < count; i++)
        *out = *out || list[i].is_admin;
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_users_bootstrap_admin(struct reg_users *users)
{
    bool found;
    enum reg_status st;

    if (users->first_start)
        return reg_users_ensure_admin(users);
    st = has_admin(users, &found);
    if (st != REG_OK || found)
        return st;
    reg_log(REG_LOG_WARN, "the store has no admin at all: creating the default admin");
    return reg_users_ensure_admin(users);
}

/* Spends the time of one password check, so an unknown user name answers as slowly as a
 * wrong password and names cannot be probed by timing. */
static void
burn_password_check(struct reg_users *users, const char *password)
{
    if (!users->dummy_record[0] && reg_password_hash("not a password", users->pbkdf2_iterations,
                                                     users->dummy_record) != REG_OK)
        return;
    (void)reg_password_verify(password, users->dummy_record);
}

static bool
throttled(const struct reg_users *users)
{
    return users->backoff && users->login_backoff_ms > 0;
}

/* REG_ETOOMANY (with Retry-After) while name is refused; *key is its backoff key. */
static enum reg_status
check_backoff(struct reg_users *users, const char *name, uint64_t *key)
{
    int64_t wait_ms;

    *key = 0;
    if (!throttled(users))
        return REG_OK;
    *key = reg_backoff_key(users->backoff, name);
    if (reg_backoff_check(users->backoff, *key, reg_clock_ms_whole(), &wait_ms) == REG_OK)
        return REG_OK;
    reg_error_retry_after((int)((wait_ms + 999) / 1000));
    return reg_errorf(REG_ETOOMANY,
                      "too many failed logins with this user name: try again in %lld s",
                      (long long)((wait_ms + 999) / 1000));
}

/* Counts the outcome of a password check; store failures say nothing about the password. */
static void
record_backoff(struct reg_users *users, uint64_t key, enum reg_status st)
{
    if (!throttled(users))
        return;
    if (st == REG_EDENIED)
        reg_backoff_failed(users->backoff, key, reg_clock_ms_whole(), users->login_backoff_ms);
    else if (st == REG_OK)
        reg_backoff_succeeded(users->backoff, key);
}

/* REG_OK if password is name's, REG_EDENIED if not or if there is no such user. */
static enum reg_status
check_credentials(struct reg_users *users, struct reg_arena *a, const char *name,
                  const char *password)
{
    struct reg_user u;
    enum reg_status st = reg_store_user_get(users->store, a, name, &u);

    if (st == REG_ENOTFOUND)
        burn_password_check(users, password);
    if (st == REG_ENOTFOUND || (st == REG_OK && !reg_password_verify(password, u.password)))
        return reg_errorf(REG_EDENIED, "the user name or password is invalid");
    return st;
}

enum reg_status
reg_users_login(struct reg_users *users, struct reg_arena *a, const char *name,
                const char *password, const char **token)
{
    uint64_t key;
    enum reg_status st = check_backoff(users, name, &key);

    *token = NULL;
    if (st != REG_OK)
        return st;
    st = check_credentials(users, a, name, password);
    record_backoff(users, key, st);
    return st == REG_OK ? reg_users_issue_token(users, a, name, 0, token) : st;
}

enum reg_status
reg_users_issue_token(struct reg_users *users, struct reg_arena *a, const char *name,
                      int ttl_seconds, const char **token)
{
    struct reg_token_claims claims;
    enum reg_status st = reg_token_new_id(&claims);

    *token = NULL;
    if (ttl_seconds <= 0 || ttl_seconds > users->token_ttl_seconds)
        ttl_seconds = users->token_ttl_seconds;
    if (st != REG_OK)
        return st;
    snprintf(claims.user, sizeof(claims.user), "%s", name);
    claims.expires_at = (int64_t)time(NULL) + ttl_seconds;
    st = reg_store_token_insert(users->store, claims.id, name);
    if (st != REG_OK)
        return st;
    *token = reg_arena_sprintf(a, "bearer %s", reg_token_sign(a, users->secret, &claims));
    return REG_OK;
}

/* reg_users_authorize, and reg_users_check when spend is false. */
static enum reg_status
authorize(struct reg_users *users, struct reg_arena *a, const char *header, bool spend,
          struct reg_caller *out)
{
    struct reg_token_claims claims;
    struct reg_token_use use = {0};
    struct reg_user u;
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    if (!header || !*header)
        return reg_errorf(REG_EAUTH, "X-Authorization is required: PUT /authenticate for a token");
    while (*header == ' ')
        header++;
    if (strncasecmp(header, "bearer ", 7) == 0)
        header += 7;
    while (*header == ' ')
        header++;
    st = reg_token_verify(users->secret, header, (int64_t)time(NULL), &claims);
    if (st == REG_OK && spend)
        st =
            reg_token_uses_spend(users->store, users->leases, &claims, users->token_max_uses, &use);
    else if (st == REG_OK)
        st = reg_token_uses_check(users->store, users->leases, &claims, users->token_max_uses);
    if (st != REG_OK)
        return st;
    /* Spent from the host's block: the user as read with that block (at most
     * REG_LEASE_TTL_MS old, forgotten at once when changed on this host). */
    if (use.caller_known) {
        out->name = reg_arena_strdup(a, claims.user);
        out->is_admin = use.is_admin;
        out->perms = use.perms;
        return REG_OK;
    }
    st = reg_store_user_get(users->store, a, claims.user, &u);
    if (st == REG_ENOTFOUND)
        return reg_errorf(REG_EAUTH, "the access token's user no longer exists");
    if (st != REG_OK)
        return st;
    reg_token_uses_remember(users->leases, &claims, &use, u.is_admin, u.perms);
    out->name = u.name;
    out->is_admin = u.is_admin;
    out->perms = u.perms;
    return REG_OK;
}

enum reg_status
reg_users_authorize(struct reg_users *users, struct reg_arena *a, const char *header,
                    struct reg_caller *out)
{
    return authorize(users, a, header, true, out);
}

enum reg_status
reg_users_check(struct reg_users *users, struct reg_arena *a, const char *header,
                struct reg_caller *out)
{
    return authorize(users, a, header, false, out);
}

enum reg_status
reg_users_create(struct reg_users *users, const char *name, const char *password, unsigned perms,
                 struct reg_user *out)
{
    char record[REG_PASSWORD_RECORD_MAX];
    enum reg_status st = reg_users_check_name(name);

    if (st == REG_OK)
        st = reg_users_check_password(password);
    if (st == REG_OK)
        st = reg_password_hash(password, users->pbkdf2_iterations, record);
    return st == REG_OK ? insert_user(users, name, record, perms, out) : st;
}

enum reg_status
reg_users_get(struct reg_users *users, struct reg_arena *a, const char *name, struct reg_user *out)
{
    return reg_store_user_get(users->store, a, name, out);
}

enum reg_status
reg_users_list(struct reg_users *users, struct reg_arena *a, struct reg_user **out, int *count)
{
    return reg_store_user_list(users->store, a, out, count);
}

enum reg_status
reg_users_delete(struct reg_users *users, const char *name)
{
    enum reg_status st = reg_store_user_remove(users->store, name);

    /* Its tokens are gone: a namesake created later must not spend their leased uses. */
    if (st == REG_OK && users->leases)
        reg_leases_forget_user(users->leases, name);
    return st;
}

void
reg_users_store_was_reset(struct reg_users *users)
{
    if (users->leases)
        reg_leases_forget_user(users->leases, NULL);
}

enum reg_status
reg_users_set_perms(struct reg_users *users, struct reg_arena *a, const char *name, unsigned perms,
                    struct reg_user *out)
{
    enum reg_status st = reg_store_user_get(users->store, a, name, out);

    perms = normalize_perms(perms);
    if (st != REG_OK)
        return st;
    out->perms = perms;
    out->is_admin = (perms & REG_PERM_ADMIN) != 0;
    st = reg_store_user_update(users->store, out);
    /* The next call of theirs reads the new permissions, not those cached with a block. */
    if (st == REG_OK && users->leases)
        reg_leases_forget_caller(users->leases, name);
    return st;
}
