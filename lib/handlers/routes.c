/*
 * routes.c - the route table: every operation of openapi/registry.yaml, literal paths before
 * the templates they overlap, and the access each needs (registering and updating: upload;
 * reading and searching: search; downloads: download; reset, user management, the download
 * workload and the package-confusion audit: admin; sensitive models: upload to change, search
 * to read), and the largest body each accepts (checked before anything parses it: a JSON body
 * costs json-c far more memory than its size, so each route admits only what its fields can
 * need).
 */
#include "auth/users.h"
#include "base/limits.h"
#include "handlers/handlers.h"
#include "http/stats.h"

/* The Hub-compatible routes: download permission, the token also as Authorization: Bearer. */
#define HUB (REG_PERM_DOWNLOAD | REG_BEARER_OK)

/* Body caps. SMALL: the small JSON bodies, and routes that ignore a body. QUERIES: the enumerate
 * body, REG_MAX_QUERIES queries. LARGE: a Hub paths-info list of every file of a repository,
 * and an upload (a zip, not JSON; nginx hands the worker the file it stored, so only a body
 * that arrives inline is read into memory, within REG_MAX_BODY like every body). */
#define SMALL REG_BODY_SMALL_MAX
#define QUERIES REG_BODY_QUERIES_MAX
#define LARGE REG_MAX_BODY
#define MONITOR REG_MONITOR_PROGRAM_MAX

const struct reg_route reg_routes[] = {
    {"GET", "/health", reg_handle_health, REG_PUBLIC, SMALL},
    {"GET", "/health/components", reg_handle_health_components, REG_TOKEN_OPTIONAL, SMALL},
    {"GET", "/health/activity", reg_handle_health_activity, REG_PUBLIC, SMALL},
    {"GET", "/health/logs", reg_handle_health_logs, REG_PERM_ADMIN, SMALL},
    /* The download workload (workloads.c). */
    {"POST", "/health/workloads", reg_handle_workload_start, REG_PERM_ADMIN, SMALL},
    {"GET", "/health/workloads", reg_handle_workload_list, REG_PERM_ADMIN, SMALL},
    {"GET", "/health/workloads/{id}", reg_handle_workload_get, REG_PERM_ADMIN, SMALL},
    {"DELETE", "/health/workloads/{id}", reg_handle_workload_stop, REG_PERM_ADMIN, SMALL},
    {"GET", "/tracks", reg_handle_tracks, REG_PUBLIC, SMALL},
    {"PUT", "/authenticate", reg_handle_authenticate, REG_PUBLIC, SMALL},
    {"DELETE", "/reset", reg_handle_reset, REG_PERM_ADMIN, SMALL},
    {"POST", "/artifacts", reg_handle_artifacts_list, REG_PERM_SEARCH, QUERIES},
    {"GET", "/artifacts/{artifact_type}/{id}", reg_handle_artifact_get, REG_PERM_SEARCH, SMALL},
    {"PUT", "/artifacts/{artifact_type}/{id}", reg_handle_artifact_update, REG_PERM_UPLOAD, SMALL},
    {"DELETE", "/artifacts/{artifact_type}/{id}", reg_handle_artifact_delete, REG_PERM_UPLOAD,
     SMALL},
    {"GET", "/artifact/byName/{name}", reg_handle_by_name, REG_PERM_SEARCH, SMALL},
    {"POST", "/artifact/byRegEx", reg_handle_by_regex, REG_PERM_SEARCH, SMALL},
    {"POST", "/artifact/{artifact_type}", reg_handle_artifact_create, REG_PERM_UPLOAD, SMALL},
    {"GET", "/artifact/model/{id}/rate", reg_handle_rate, REG_PERM_SEARCH, SMALL},
    {"GET", "/artifact/model/{id}/lineage", reg_handle_lineage, REG_PERM_SEARCH, SMALL},
    {"POST", "/artifact/model/{id}/license-check", reg_handle_license_check, REG_PERM_SEARCH,
     SMALL},
    {"GET", "/artifact/{artifact_type}/{id}/cost", reg_handle_cost, REG_PERM_SEARCH, SMALL},
    {"GET", "/artifact/{artifact_type}/{id}/audit", reg_handle_audit, REG_PERM_SEARCH, SMALL},
    {"GET", "/artifact/{artifact_type}/{id}/security", reg_handle_security, REG_PERM_SEARCH, SMALL},
    {"POST", "/artifact/{artifact_type}/upload", reg_handle_upload, REG_PERM_UPLOAD, LARGE},
    /* Atomic package groups (groups.c): registering and updating, so upload. */
    {"POST", "/groups", reg_handle_group_create, REG_PERM_UPLOAD, SMALL},
    {"GET", "/groups/{id}", reg_handle_group_get, REG_PERM_UPLOAD, SMALL},
    {"POST", "/groups/{id}/commands", reg_handle_group_append, REG_PERM_UPLOAD, SMALL},
    {"POST", "/groups/{id}/uploads", reg_handle_group_upload, REG_PERM_UPLOAD, LARGE},
    {"POST", "/groups/{id}/execute", reg_handle_group_execute, REG_PERM_UPLOAD, SMALL},
    /* Sensitive models (sensitive.c): a monitor program is at most MONITOR bytes. */
    {"GET", "/artifact/model/{id}/sensitive", reg_handle_sensitive_get, REG_PERM_SEARCH, SMALL},
    {"PUT", "/artifact/model/{id}/sensitive", reg_handle_sensitive_put, REG_PERM_UPLOAD, SMALL},
    {"DELETE", "/artifact/model/{id}/sensitive", reg_handle_sensitive_delete, REG_PERM_UPLOAD,
     SMALL},
    {"GET", "/artifact/model/{id}/monitor", reg_handle_monitor_get, REG_PERM_SEARCH, SMALL},
    {"PUT", "/artifact/model/{id}/monitor", reg_handle_monitor_put, REG_PERM_UPLOAD, MONITOR},
    {"DELETE", "/artifact/model/{id}/monitor", reg_handle_monitor_delete, REG_PERM_UPLOAD, SMALL},
    {"GET", "/artifact/model/{id}/download-history", reg_handle_download_history, REG_PERM_SEARCH,
     SMALL},
    {"GET", "/download/{artifact_type}/{id}", reg_handle_download, REG_PERM_DOWNLOAD, SMALL},
    /* The package-confusion audit (confusion.c): the requirement's name and a lower-case alias. */
    {"GET", "/PackageConfusionAudit", reg_handle_confusion_audit, REG_PERM_ADMIN, SMALL},
    {"GET", "/package-confusion-audit", reg_handle_confusion_audit, REG_PERM_ADMIN, SMALL},
    /* The Hugging Face Hub-compatible read API (hub.c). */
    {"GET", "/api/models/{repo*}", reg_handle_hub_api, HUB, SMALL},
    {"POST", "/api/models/{repo*}", reg_handle_hub_api, HUB, LARGE},
    {"GET", "/api/datasets/{repo*}", reg_handle_hub_api, HUB, SMALL},
    {"POST", "/api/datasets/{repo*}", reg_handle_hub_api, HUB, LARGE},
    {"GET", "/datasets/{repo*}/resolve/{rev}/{path*}", reg_handle_hub_resolve, HUB, SMALL},
    {"HEAD", "/datasets/{repo*}/resolve/{rev}/{path*}", reg_handle_hub_resolve, HUB, SMALL},
    {"GET", "/{repo*}/resolve/{rev}/{path*}", reg_handle_hub_resolve, HUB, SMALL},
    {"HEAD", "/{repo*}/resolve/{rev}/{path*}", reg_handle_hub_resolve, HUB, SMALL},
    {"POST", "/users", reg_handle_user_create, REG_PERM_ADMIN, SMALL},
    {"GET", "/users", reg_handle_user_list, REG_PERM_ADMIN, SMALL},
    {"GET", "/users/{username}", reg_handle_user_get, REG_ANY_USER, SMALL},
    {"DELETE", "/users/{username}", reg_handle_user_delete, REG_ANY_USER, SMALL},
    {"PUT", "/users/{username}/permissions", reg_handle_user_permissions, REG_PERM_ADMIN, SMALL},
    /* nginx's check of an upload before it reads the body (auth_request; upload.c). */
    {"GET", "/_internal/upload-check", reg_handle_upload_check, REG_INTERNAL, SMALL},
};

const int reg_nroutes = (int)(sizeof(reg_routes) / sizeof(reg_routes[0]));

/* Every route has a slot of its own in the dashboard's figures (http/stats.h). */
_Static_assert(sizeof(reg_routes) / sizeof(reg_routes[0]) <= REG_STATS_UNROUTED,
               "more routes than REG_STATS_ROUTES has slots for");
