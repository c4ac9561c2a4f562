/*
 * confusion.c - GET /PackageConfusionAudit (and its lower-case alias
 * /package-confusion-audit)[?min_score=0..1][&type=model|dataset|code]: the artifacts
 * suspected of imitating a more popular one (core/confusion.h), highest score first.
 *
 * Admin only: the answer accuses uploads and describes every suspect's download traffic, and
 * it reads the download trail of every artifact in a candidate pair, which no ordinary
 * searcher should be able to set off at will.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "core/confusion.h"
#include "handlers/handlers.h"

/* A decimal in [0, 1], nothing before or after it. */
static enum reg_status
parse_score(const char *raw, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(raw, &end);
    if (!*raw || *end || errno || !isfinite(*out) || *out < 0.0 || *out > 1.0 ||
        strspn(raw, "0123456789.") != strlen(raw))
        return reg_errorf(REG_EINVAL, "min_score must be a decimal from 0 to 1, not '%.40s'", raw);
    return REG_OK;
}

static enum reg_status
parse_options(struct reg_request *req, struct reg_confusion_options *opt)
{
    char *min = NULL, *type = NULL;
    enum reg_artifact_type t;
    enum reg_status st;

    opt->min_score = REG_CONFUSION_DEFAULT_MIN_SCORE;
    opt->types = REG_TYPE_ALL;
    st = reg_str_query_param(&req->arena, req->query, "min_score", &min);
    if (st == REG_OK && min)
        st = parse_score(min, &opt->min_score);
    if (st == REG_OK)
        st = reg_str_query_param(&req->arena, req->query, "type", &type);
    if (st != REG_OK || !type)
        return st;
    if (reg_artifact_type_parse(type, &t) != REG_OK)
        return reg_errorf(REG_EINVAL, "type must be model, dataset or code, not '%.40s'", type);
    opt->types = REG_TYPE_BIT(t);
    return REG_OK;
}

/* The owner part of an upstream "owner/name" id; NULL for uploads, Kaggle and legacy ids. */
static const char *
scope_of(struct reg_arena *a, const struct reg_catalog_entry *e)
{
    const char *slash;

    if (!e->repo_id || !e->host ||
        (strcmp(e->host, "huggingface") != 0 && strcmp(e->host, "github") != 0))
        return NULL;
    slash = strchr(e->repo_id, '/');
    return slash ? reg_arena_strndup(a, e->repo_id, (size_t)(slash - e->repo_id)) : NULL;
}

/* The audit's view of every artifact in the worker's catalog (ids and names borrowed from it:
 * nothing refreshes the catalog before the request ends). */
static enum reg_status
load_items(struct reg_app *app, struct reg_request *req, struct reg_confusion_item **out, size_t *n)
{
    const struct reg_catalog_entry *entries;
    enum reg_status st = reg_catalog_refresh(app->catalog, app->store);

    if (st != REG_OK)
        return st;
    entries = reg_catalog_entries(app->catalog, n);
    *out = reg_arena_alloc(&req->arena, sizeof(**out) * (*n ? *n : 1));
    for (size_t i = 0; i < *n; i++) {
        const struct reg_catalog_entry *e = &entries[i];
        struct reg_confusion_item *it = &(*out)[i];

        it->id = e->id;
        it->name = e->name;
        it->type = e->type;
        it->scope = scope_of(&req->arena, e);
        it->search_hits = app->pool ? reg_search_hits_get(&app->pool->search_hits, e->id) : -1;
        it->upstream = e->upstream;
    }
    return REG_OK;
}

static struct json_object *
item_json(const struct reg_confusion_item *it)
{
    struct reg_artifact art = {.type = it->type, .name = it->name};

    reg_str_copy(art.id, sizeof(art.id), it->id);
    return reg_artifact_metadata_json(&art);
}

/* A signal's value: counts as integers, the rest with 3 decimals, unknown as null. */
static struct json_object *
signal_json(double v)
{
    if (isnan(v))
        return NULL;
    if (v == floor(v) && fabs(v) < 9007199254740992.0) /* 2^53: exact as an integer */
        return json_object_new_int64((int64_t)v);
    return reg_json_decimal(v, 3);
}

static struct json_object *
finding_json(const struct reg_confusion_finding *f)
{
    struct json_object *obj = json_object_new_object();
    struct json_object *signals = json_object_new_object();

    json_object_object_add(obj, "suspect", item_json(f->suspect));
    json_object_object_add(obj, "target", item_json(f->target));
    json_object_object_add(obj, "technique",
                           json_object_new_string(reg_confusion_technique_name(f->technique)));
    json_object_object_add(obj, "score", reg_json_decimal(f->score, 3));
    for (int s = 0; s < REG_CSIG_COUNT; s++)
        json_object_object_add(signals, reg_confusion_signal_name((enum reg_confusion_signal)s),
                               signal_json(f->signals[s]));
    json_object_object_add(obj, "signals", signals);
    return obj;
}

enum reg_status
reg_handle_confusion_audit(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_confusion_options opt;
    struct reg_confusion_item *items = NULL;
    struct reg_confusion_finding *findings = NULL;
    struct json_object *list;
    size_t n = 0;
    int count = 0;
    enum reg_status st = parse_options(req, &opt);

    if (st == REG_OK)
        st = load_items(app, req, &items, &n);
    if (st == REG_OK)
        st = reg_confusion_audit(&req->arena, items, n, reg_confusion_store_traffic, app->store,
                                 &opt, &findings, &count);
    if (st != REG_OK)
        return st;
    list = reg_arena_own_json(&req->arena, json_object_new_array());
    for (int i = 0; i < count; i++)
        json_object_array_add(list, finding_json(&findings[i]));
    return reg_response_json(resp, 200, list);
}
