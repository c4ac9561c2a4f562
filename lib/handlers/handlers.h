/*
 * handlers.h - one handler per operation of the API, grouped by resource in one file each,
 * and the route table that binds them to methods and paths (routes.c).
 *
 * A handler validates its input, calls core/, and renders the answer; it returns a status and
 * leaves error answers to reg_http_dispatch(). Everything it allocates lives in req->arena.
 */
#ifndef REG_HANDLERS_H
#define REG_HANDLERS_H

#include "app.h"
#include "bundle/fill.h"
#include "core/artifact.h"
#include "core/audit.h"
#include "core/registry.h"
#include "core/upload.h"
#include "http/router.h"

/* reg_route.access: REG_PUBLIC needs no token; REG_ANY_USER any valid token (the handler
 * checks further, e.g. self or admin); otherwise the enum reg_perm bits the caller must hold
 * (admins hold all). A missing or bad token is 403, a missing permission 401. */
#define REG_PUBLIC 0u
#define REG_ANY_USER (1u << 16)
/* Added to access: the token may also come as "Authorization: Bearer <token>", as Hugging
 * Face's clients send it (the Hub-compatible routes); elsewhere only X-Authorization counts. */
#define REG_BEARER_OK (1u << 17)
/* The whole access of a route that only nginx's subrequests reach (conf/nginx.conf.in marks
 * its location internal, and only such locations set REGISTRY_INTERNAL, req->internal). For
 * any other caller the route does not exist (404). The dispatcher checks no token: the
 * handler checks the client's request the subrequest is about. */
#define REG_INTERNAL (1u << 18)
/* A public route that tells callers apart: a token, when one is sent, is checked (spending a
 * use) and sets req->caller; a missing or bad token, or a store that cannot check it, leaves
 * req->caller NULL and the route answers as to anyone (GET /health/components: details for
 * admins only). */
#define REG_TOKEN_OPTIONAL (1u << 19)

extern const struct reg_route reg_routes[];
extern const int reg_nroutes;

/* health.c */
enum reg_status reg_handle_health(struct reg_app *, struct reg_request *, struct reg_response *);
enum reg_status reg_handle_health_components(struct reg_app *, struct reg_request *,
                                             struct reg_response *);
enum reg_status reg_handle_tracks(struct reg_app *, struct reg_request *, struct reg_response *);
enum reg_status reg_handle_health_activity(struct reg_app *, struct reg_request *,
                                           struct reg_response *);
enum reg_status reg_handle_health_logs(struct reg_app *, struct reg_request *,
                                       struct reg_response *);

/* artifacts.c */
enum reg_status reg_handle_artifact_create(struct reg_app *, struct reg_request *,
                                           struct reg_response *);
enum reg_status reg_handle_artifact_get(struct reg_app *, struct reg_request *,
                                        struct reg_response *);
enum reg_status reg_handle_artifact_update(struct reg_app *, struct reg_request *,
                                           struct reg_response *);
enum reg_status reg_handle_artifact_delete(struct reg_app *, struct reg_request *,
                                           struct reg_response *);
enum reg_status reg_handle_artifacts_list(struct reg_app *, struct reg_request *,
                                          struct reg_response *);

/* search.c */
enum reg_status reg_handle_by_name(struct reg_app *, struct reg_request *, struct reg_response *);
enum reg_status reg_handle_by_regex(struct reg_app *, struct reg_request *, struct reg_response *);

/* admin.c */
enum reg_status reg_handle_reset(struct reg_app *, struct reg_request *, struct reg_response *);
enum reg_status reg_handle_authenticate(struct reg_app *, struct reg_request *,
                                        struct reg_response *);

/* users.c */
enum reg_status reg_handle_user_create(struct reg_app *, struct reg_request *,
                                       struct reg_response *);
enum reg_status reg_handle_user_list(struct reg_app *, struct reg_request *, struct reg_response *);
enum reg_status reg_handle_user_get(struct reg_app *, struct reg_request *, struct reg_response *);
enum reg_status reg_handle_user_delete(struct reg_app *, struct reg_request *,
                                       struct reg_response *);
enum reg_status reg_handle_user_permissions(struct reg_app *, struct reg_request *,
                                            struct reg_response *);

/* audit.c */
enum reg_status reg_handle_audit(struct reg_app *, struct reg_request *, struct reg_response *);

/* confusion.c */
enum reg_status reg_handle_confusion_audit(struct reg_app *, struct reg_request *,
                                           struct reg_response *);

/* lineage.c, cost.c, license.c */
enum reg_status reg_handle_lineage(struct reg_app *, struct reg_request *, struct reg_response *);
enum reg_status reg_handle_cost(struct reg_app *, struct reg_request *, struct reg_response *);
enum reg_status reg_handle_security(struct reg_app *, struct reg_request *, struct reg_response *);
enum reg_status reg_handle_license_check(struct reg_app *, struct reg_request *,
                                         struct reg_response *);

/* upload.c */
enum reg_status reg_handle_upload(struct reg_app *, struct reg_request *, struct reg_response *);
enum reg_status reg_handle_upload_check(struct reg_app *, struct reg_request *,
                                        struct reg_response *);
/* Where an upload of req goes (core/upload.h): the app's blob store, its data directory's
 * tmp/, the upload cap and the scan policy; strings from req's arena. */
struct reg_upload_place reg_handler_upload_place(struct reg_app *app, struct reg_request *req);
/* An upload's arguments: its type (the {artifact_type} path parameter, or else the type query
 * parameter), the required name query parameter (*name from req's arena), and a body. */
enum reg_status reg_handler_upload_args(struct reg_request *req, enum reg_artifact_type *type,
                                        char **name);

/* download.c */
enum reg_status reg_handle_download(struct reg_app *, struct reg_request *, struct reg_response *);
/* Takes one of the pool's slots for a worker that streams a bundle being fetched (downloads,
 * Hub files); false when all are busy. Slots of workers that died are taken over. Without a
 * pool (tests of the library) there is no limit. */
bool reg_download_take_slot(struct reg_app *app);
void reg_download_give_slot(struct reg_app *app);
/* Where and under which limits this host's pull-through fills run (bundle/fill.h); the
 * strings from a. The fillers' scans count on the pool's tally. */
struct reg_fill_env reg_download_fill_env(struct reg_app *app, struct reg_arena *a);
/* The length of art's full bundle as a download sends it: the stored copy's (*stored true),
 * or the zip a pull-through would build (its length is known before its first byte). The
 * errors of the download: REG_ENOTIMPL for a Kaggle dataset, REG_EUPSTREAM/REG_EUNAVAILABLE
 * when the file listing had to be fetched again and upstream failed. */
enum reg_status reg_download_bundle_size(struct reg_app *app, struct reg_arena *a,
                                         const struct reg_artifact *art, int64_t *size,
                                         bool *stored);

/* workloads.c: the download workload of the health dashboard */
enum reg_status reg_handle_workload_start(struct reg_app *, struct reg_request *,
                                          struct reg_response *);
enum reg_status reg_handle_workload_list(struct reg_app *, struct reg_request *,
                                         struct reg_response *);
enum reg_status reg_handle_workload_get(struct reg_app *, struct reg_request *,
                                        struct reg_response *);
enum reg_status reg_handle_workload_stop(struct reg_app *, struct reg_request *,
                                         struct reg_response *);

/* hub.c: the Hugging Face Hub-compatible read API */
enum reg_status reg_handle_hub_api(struct reg_app *, struct reg_request *, struct reg_response *);
enum reg_status reg_handle_hub_resolve(struct reg_app *, struct reg_request *,
                                       struct reg_response *);

/* groups.c: atomic package groups (core/groups.h) */
enum reg_status reg_handle_group_create(struct reg_app *, struct reg_request *,
                                        struct reg_response *);
enum reg_status reg_handle_group_get(struct reg_app *, struct reg_request *, struct reg_response *);
enum reg_status reg_handle_group_append(struct reg_app *, struct reg_request *,
                                        struct reg_response *);
enum reg_status reg_handle_group_upload(struct reg_app *, struct reg_request *,
                                        struct reg_response *);
enum reg_status reg_handle_group_execute(struct reg_app *, struct reg_request *,
                                         struct reg_response *);

/* sensitive.c: sensitive models, their monitor programs and download history */
enum reg_status reg_handle_sensitive_get(struct reg_app *, struct reg_request *,
                                         struct reg_response *);
enum reg_status reg_handle_sensitive_put(struct reg_app *, struct reg_request *,
                                         struct reg_response *);
enum reg_status reg_handle_sensitive_delete(struct reg_app *, struct reg_request *,
                                            struct reg_response *);
enum reg_status reg_handle_monitor_get(struct reg_app *, struct reg_request *,
                                       struct reg_response *);
enum reg_status reg_handle_monitor_put(struct reg_app *, struct reg_request *,
                                       struct reg_response *);
enum reg_status reg_handle_monitor_delete(struct reg_app *, struct reg_request *,
                                          struct reg_response *);
enum reg_status reg_handle_download_history(struct reg_app *, struct reg_request *,
                                            struct reg_response *);

/* rate.c */
enum reg_status reg_handle_rate(struct reg_app *, struct reg_request *, struct reg_response *);

/* Helpers shared by the handlers (common.c). */
/* Checks the caller's token and permissions for route and sets req->caller. spend: the call
 * spends one of the token's uses (every API call); otherwise it is only checked (nginx's
 * check of an upload, which spends its use when nginx passes it on). */
enum reg_status reg_handler_authorize(struct reg_app *app, struct reg_request *req,
                                      const struct reg_route *route, bool spend);
/* What core/registry.h works with, from the app. */
struct reg_registry reg_handler_registry(struct reg_app *app);
/* The {artifact_type} path parameter, parsed. */
enum reg_status reg_handler_type_param(struct reg_request *req, enum reg_artifact_type *out);
/* The {id} path parameter, checked against the id pattern. */
enum reg_status reg_handler_id_param(struct reg_request *req, const char **out);
/* The artifact the {artifact_type} and {id} path parameters name (REG_ENOTFOUND when there is
 * none of that type); its strings are the request's. */
enum reg_status reg_handler_artifact_param(struct reg_app *app, struct reg_request *req,
                                           struct reg_artifact *out);
/* Records an audit entry by the request's caller; a failure is logged, not returned: the
 * operation it describes has happened. */
void reg_handler_audit(struct reg_app *app, struct reg_request *req, const struct reg_artifact *art,
                       enum reg_audit_action action);
/* The same, unless the caller already has an entry of this action on art within the last
 * window seconds (core/audit.h, reg_audit_record_once). */
void reg_handler_audit_once(struct reg_app *app, struct reg_request *req,
                            const struct reg_artifact *art, enum reg_audit_action action,
                            int64_t window);
/* The `offset` query parameter of a paged answer: the cursor a previous page's `offset` header
 * named; 0 when absent or empty. Anything but digits is REG_EINVAL. */
enum reg_status reg_handler_offset_param(struct reg_request *req, int64_t *out);
/* Names the next page's cursor in the `offset` header, when there is a next page. */
enum reg_status reg_handler_next_offset(struct reg_request *req, struct reg_response *resp,
                                        int64_t next);
/* Renders a JSON array of {name, id, type} for n artifacts, with "version": versions[i] on item
 * i where it is not NULL (the version a version query matched it by); versions NULL: none. */
enum reg_status reg_handler_metadata_list_versions(struct reg_request *req,
                                                   struct reg_response *resp,
                                                   const struct reg_artifact *items,
                                                   const char *const *versions, int n);

/* A search answer (enumerate, byName, byRegEx): counts each artifact's appearance in the
 * host's search hits (core/search_hits.h; none outside a worker pool), then renders it as
 * reg_handler_metadata_list_versions does. */
enum reg_status reg_handler_search_answer(struct reg_app *app, struct reg_request *req,
                                          struct reg_response *resp,
                                          const struct reg_artifact *items,
                                          const char *const *versions, int n);

#endif
