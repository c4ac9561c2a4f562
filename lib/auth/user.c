/*
 * user.c - permission names and the JSON of a user (see user.h).
 */
#include "auth/user.h"

#include <string.h>

static const struct {
    const char *name;
    unsigned bit;
} perm_names[] = {
    {"upload", REG_PERM_UPLOAD},
    {"search", REG_PERM_SEARCH},
    {"download", REG_PERM_DOWNLOAD},
    {"admin", REG_PERM_ADMIN},
};
#define NPERMS (sizeof(perm_names) / sizeof(perm_names[0]))

enum reg_status
reg_perms_parse(struct json_object *list, unsigned *out)
{
    *out = 0;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *item = json_object_array_get_idx(list, i);
        const char *name = json_object_get_string(item);
        size_t p = 0;

        if (!json_object_is_type(item, json_type_string))
            return reg_errorf(REG_EINVAL, "permissions must be strings");
        while (p < NPERMS && strcmp(perm_names[p].name, name) != 0)
            p++;
        if (p == NPERMS)
            return reg_errorf(REG_EINVAL,
                              "unknown permission '%.40s' (upload, search, download, admin)", name);
        *out |= perm_names[p].bit;
    }
    return REG_OK;
}

const char *
reg_perms_name(unsigned perms)
{
    for (size_t p = 0; p < NPERMS; p++)
        if (perms & perm_names[p].bit)
            return perm_names[p].name;
    return "none";
}

struct json_object *
reg_user_json(const struct reg_user *u)
{
    struct json_object *obj = json_object_new_object();
    struct json_object *perms = json_object_new_array();

    for (size_t p = 0; p < NPERMS; p++)
        if (u->perms & perm_names[p].bit)
            json_object_array_add(perms, json_object_new_string(perm_names[p].name));
    json_object_object_add(obj, "name", json_object_new_string(u->name));
    json_object_object_add(obj, "is_admin", json_object_new_boolean(u->is_admin));
    json_object_object_add(obj, "permissions", perms);
    return obj;
}
