/*
 * pending.c - contract operations whose feature has not landed yet (cost, lineage, license
 * check). They are routed so that clients get a JSON 501 naming the missing
 * feature instead of a 404 that would suggest a wrong path.
 */
#include <string.h>

#include "handlers/handlers.h"

static const char *
feature_of(const char *route)
{
    if (strstr(route, "/lineage"))
        return "lineage (the lineage, cost and license issue)";
    if (strstr(route, "/license-check"))
        return "license checks (the lineage, cost and license issue)";
    return "download cost (the lineage, cost and license issue)";
}

enum reg_status
reg_handle_pending(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    (void)app;
    (void)resp;
    return reg_errorf(REG_ENOTIMPL, "%s is not available in this version of the registry",
                      feature_of(req->route));
}
