/*
 * lineage.c - GET /artifact/model/{id}/lineage: the model's registered ancestors and
 * descendants (core/lineage.h) as the contract's ArtifactLineageGraph.
 */
#include "core/lineage.h"
#include "handlers/handlers.h"

static struct json_object *
graph_json(const struct reg_lineage_graph *g)
{
    struct json_object *obj = json_object_new_object(), *nodes = json_object_new_array(),
                       *edges = json_object_new_array();

    for (int i = 0; i < g->nnodes; i++) {
        struct json_object *n = json_object_new_object();
        json_object_object_add(n, "artifact_id", json_object_new_string(g->nodes[i].id));
        json_object_object_add(n, "name", json_object_new_string(g->nodes[i].name));
        json_object_object_add(n, "source", json_object_new_string(g->nodes[i].source));
        json_object_array_add(nodes, n);
    }
    for (int i = 0; i < g->nedges; i++) {
        struct json_object *e = json_object_new_object();
        json_object_object_add(e, "from_node_artifact_id",
                               json_object_new_string(g->edges[i].from));
        json_object_object_add(e, "to_node_artifact_id", json_object_new_string(g->edges[i].to));
        json_object_object_add(e, "relationship", json_object_new_string("base_model"));
        json_object_array_add(edges, e);
    }
    json_object_object_add(obj, "nodes", nodes);
    json_object_object_add(obj, "edges", edges);
    return obj;
}

enum reg_status
reg_handle_lineage(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_lineage_graph g;
    const char *id;
    enum reg_status st;

    st = reg_handler_id_param(req, &id);
    if (st == REG_OK)
        st = reg_lineage_graph(app->catalog, app->store, &req->arena, id, &g);
    if (st != REG_OK)
        return st;
    return reg_response_json(resp, 200, reg_arena_own_json(&req->arena, graph_json(&g)));
}
