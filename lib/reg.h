/*
 * reg.h - the core library as fcgi/ sees it: create the app, dispatch requests, free it.
 */
#ifndef REG_H
#define REG_H

#include "app.h"
#include "base/config.h"
#include "base/status.h"
#include "http/request.h"
#include "http/response.h"

/* Opens the store and the search cache. pool may be NULL. Call once per process (after fork:
 * a store connection must not cross a fork). */
enum reg_status reg_app_new(const struct reg_config *cfg, struct reg_pool_status *pool,
                            struct reg_app **out);
void reg_app_free(struct reg_app *app);

/* Counts a model scan's files by verdict, and whether it refused, on the dashboard's tally
 * (GET /health/activity "scans"); ctx is the app's pool status (NULL: nothing counts). The
 * ingest scan and the pull-through filler report through it. */
void reg_app_count_scan(void *ctx, const int counts[REG_SECURITY_VERDICTS], bool refused);

/* Routes req, runs its handler and fills resp; errors become JSON error answers here. Never
 * fails: every outcome is an HTTP answer. */
void reg_http_dispatch(struct reg_app *app, struct reg_request *req, struct reg_response *resp);

#endif
