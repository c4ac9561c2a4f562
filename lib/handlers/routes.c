/*
 * routes.c - the route table: every operation of openapi/registry.yaml, literal paths before
 * the templates they overlap.
 */
#include "handlers/handlers.h"

const struct reg_route reg_routes[] = {
    {"GET", "/health", reg_handle_health},
    {"GET", "/health/components", reg_handle_health_components},
    {"GET", "/tracks", reg_handle_tracks},
    {"PUT", "/authenticate", reg_handle_authenticate},
    {"DELETE", "/reset", reg_handle_reset},
    {"POST", "/artifacts", reg_handle_artifacts_list},
    {"GET", "/artifacts/{artifact_type}/{id}", reg_handle_artifact_get},
    {"PUT", "/artifacts/{artifact_type}/{id}", reg_handle_artifact_update},
    {"DELETE", "/artifacts/{artifact_type}/{id}", reg_handle_artifact_delete},
    {"GET", "/artifact/byName/{name}", reg_handle_by_name},
    {"POST", "/artifact/byRegEx", reg_handle_by_regex},
    {"POST", "/artifact/{artifact_type}", reg_handle_artifact_create},
    {"GET", "/artifact/model/{id}/rate", reg_handle_pending},
    {"GET", "/artifact/model/{id}/lineage", reg_handle_pending},
    {"POST", "/artifact/model/{id}/license-check", reg_handle_pending},
    {"GET", "/artifact/{artifact_type}/{id}/cost", reg_handle_pending},
    {"GET", "/artifact/{artifact_type}/{id}/audit", reg_handle_pending},
    {"GET", "/download/{artifact_type}/{id}", reg_handle_download},
};

const int reg_nroutes = (int)(sizeof(reg_routes) / sizeof(reg_routes[0]));
