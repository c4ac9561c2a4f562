/*
 * routes.c - the route table: every operation of openapi/registry.yaml, literal paths before
 * the templates they overlap, and the access each needs (registering and updating: upload;
 * reading and searching: search; downloads: download; reset and user management: admin).
 */
#include "auth/users.h"
#include "handlers/handlers.h"

/* The Hub-compatible routes: download permission, the token also as Authorization: Bearer. */
#define HUB (REG_PERM_DOWNLOAD | REG_BEARER_OK)

const struct reg_route reg_routes[] = {
    {"GET", "/health", reg_handle_health, REG_PUBLIC},
    {"GET", "/health/components", reg_handle_health_components, REG_PUBLIC},
    {"GET", "/health/activity", reg_handle_health_activity, REG_PUBLIC},
    {"GET", "/health/logs", reg_handle_health_logs, REG_PERM_ADMIN},
    {"GET", "/tracks", reg_handle_tracks, REG_PUBLIC},
    {"PUT", "/authenticate", reg_handle_authenticate, REG_PUBLIC},
    {"DELETE", "/reset", reg_handle_reset, REG_PERM_ADMIN},
    {"POST", "/artifacts", reg_handle_artifacts_list, REG_PERM_SEARCH},
    {"GET", "/artifacts/{artifact_type}/{id}", reg_handle_artifact_get, REG_PERM_SEARCH},
    {"PUT", "/artifacts/{artifact_type}/{id}", reg_handle_artifact_update, REG_PERM_UPLOAD},
    {"DELETE", "/artifacts/{artifact_type}/{id}", reg_handle_artifact_delete, REG_PERM_UPLOAD},
    {"GET", "/artifact/byName/{name}", reg_handle_by_name, REG_PERM_SEARCH},
    {"POST", "/artifact/byRegEx", reg_handle_by_regex, REG_PERM_SEARCH},
    {"POST", "/artifact/{artifact_type}", reg_handle_artifact_create, REG_PERM_UPLOAD},
    {"GET", "/artifact/model/{id}/rate", reg_handle_rate, REG_PERM_SEARCH},
    {"GET", "/artifact/model/{id}/lineage", reg_handle_lineage, REG_PERM_SEARCH},
    {"POST", "/artifact/model/{id}/license-check", reg_handle_license_check, REG_PERM_SEARCH},
    {"GET", "/artifact/{artifact_type}/{id}/cost", reg_handle_cost, REG_PERM_SEARCH},
    {"GET", "/artifact/{artifact_type}/{id}/audit", reg_handle_audit, REG_PERM_SEARCH},
    {"POST", "/artifact/{artifact_type}/upload", reg_handle_upload, REG_PERM_UPLOAD},
    {"GET", "/download/{artifact_type}/{id}", reg_handle_download, REG_PERM_DOWNLOAD},
    /* The Hugging Face Hub-compatible read API (hub.c). */
    {"GET", "/api/models/{repo*}", reg_handle_hub_api, HUB},
    {"POST", "/api/models/{repo*}", reg_handle_hub_api, HUB},
    {"GET", "/api/datasets/{repo*}", reg_handle_hub_api, HUB},
    {"POST", "/api/datasets/{repo*}", reg_handle_hub_api, HUB},
    {"GET", "/datasets/{repo*}/resolve/{rev}/{path*}", reg_handle_hub_resolve, HUB},
    {"HEAD", "/datasets/{repo*}/resolve/{rev}/{path*}", reg_handle_hub_resolve, HUB},
    {"GET", "/{repo*}/resolve/{rev}/{path*}", reg_handle_hub_resolve, HUB},
    {"HEAD", "/{repo*}/resolve/{rev}/{path*}", reg_handle_hub_resolve, HUB},
    {"POST", "/users", reg_handle_user_create, REG_PERM_ADMIN},
    {"GET", "/users", reg_handle_user_list, REG_PERM_ADMIN},
    {"GET", "/users/{username}", reg_handle_user_get, REG_ANY_USER},
    {"DELETE", "/users/{username}", reg_handle_user_delete, REG_ANY_USER},
    {"PUT", "/users/{username}/permissions", reg_handle_user_permissions, REG_PERM_ADMIN},
    /* nginx's check of an upload before it reads the body (auth_request; upload.c). */
    {"GET", "/_internal/upload-check", reg_handle_upload_check, REG_INTERNAL},
};

const int reg_nroutes = (int)(sizeof(reg_routes) / sizeof(reg_routes[0]));
