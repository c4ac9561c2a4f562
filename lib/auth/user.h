/*
 * user.h - the access-control model: users, permissions and callers, and their JSON. It
 * depends on base/ only, so that the store (which keeps users) does not see the application;
 * the rules that act on users (login, tokens, the last admin) are auth/users.h.
 *
 * Ownership: a struct reg_user's strings are borrowed from whoever filled it (an arena).
 */
#ifndef REG_AUTH_USER_H
#define REG_AUTH_USER_H

#include <json-c/json.h>
#include <stdbool.h>

#include "base/status.h"

enum reg_perm {
    REG_PERM_UPLOAD = 1u << 0,
    REG_PERM_SEARCH = 1u << 1,
    REG_PERM_DOWNLOAD = 1u << 2,
    REG_PERM_ADMIN = 1u << 3,
};
#define REG_PERM_ALL (REG_PERM_UPLOAD | REG_PERM_SEARCH | REG_PERM_DOWNLOAD | REG_PERM_ADMIN)

#define REG_DEFAULT_ADMIN "ece30861defaultadminuser"
/* New passwords: at least 8 characters (NIST SP 800-63B), at most 1024 bytes. */
#define REG_PASSWORD_MIN 8
#define REG_PASSWORD_MAX 1024

struct reg_user {
    const char *name;
    bool is_admin;        /* same as (perms & REG_PERM_ADMIN) */
    unsigned perms;       /* enum reg_perm bits */
    const char *password; /* the PBKDF2 record; never rendered */
};

/* Who is calling: set on the request by the dispatcher once the token checked out. */
struct reg_caller {
    const char *name;
    bool is_admin;
    unsigned perms;
};

/* Parses a JSON array of permission names ("upload", "search", "download", "admin"). */
enum reg_status reg_perms_parse(struct json_object *list, unsigned *out);
/* The name of the first permission bit set in perms ("admin"); a static string. */
const char *reg_perms_name(unsigned perms);
/* {"name", "is_admin", "permissions": [...]} */
struct json_object *reg_user_json(const struct reg_user *u);

#endif
