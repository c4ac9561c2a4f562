/*
 * lineage_parents.c - parent extraction from the model card and config.json.
 */
#include "core/lineage_parents.h"

#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "upstream/huggingface.h"

/* config.json fields that name the model a checkpoint was derived from, most explicit first. */
static const char *const config_fields[] = {"base_model_name_or_path", "base_model",
                                            "_name_or_path"};

/* Largest config.json or card JSON read here (bytes). */
#define LINEAGE_JSON_MAX ((size_t)1024 * 1024)

const char *
reg_lineage_source_name(enum reg_lineage_source s)
{
    return s == REG_LINEAGE_MODEL_CARD ? "model_card" : "config_json";
}

/* The repository id a base-model value names, or NULL: "org/name", "name", or a
 * https://huggingface.co/ URL of one. */
static const char *
as_repo_id(const char *v)
{
    static const char prefix[] = "https://huggingface.co/";

    if (!v)
        return NULL;
    if (strncasecmp(v, prefix, sizeof(prefix) - 1) == 0)
        v += sizeof(prefix) - 1;
    return reg_hf_repo_id_ok(v) ? v : NULL;
}

static void
add(struct reg_arena *a, const char *self_id, const char *value, enum reg_lineage_source source,
    struct reg_lineage_parent *out, int *n, int max)
{
    const char *id = as_repo_id(value);

    if (!id || *n >= max || (self_id && strcasecmp(id, self_id) == 0))
        return;
    for (int i = 0; i < *n; i++)
        if (strcasecmp(out[i].repo_id, id) == 0)
            return;
    out[*n].repo_id = reg_arena_strdup(a, id);
    out[*n].source = source;
    (*n)++;
}

static struct json_object *
parse(struct reg_arena *a, const char *text)
{
    struct json_object *o = NULL;

    if (!text || reg_json_parse_bounded(a, text, strlen(text), LINEAGE_JSON_MAX, &o) != REG_OK ||
        !json_object_is_type(o, json_type_object))
        return NULL;
    return o;
}

int
reg_lineage_parents(struct reg_arena *a, const char *self_id, const char *card_json,
                    const char *config_json, struct reg_lineage_parent *out, int max)
{
    struct json_object *card = parse(a, card_json), *config = parse(a, config_json), *v;
    int n = 0;

    if (card && json_object_object_get_ex(card, "base_model", &v)) {
        if (json_object_is_type(v, json_type_array)) {
            for (size_t i = 0; i < json_object_array_length(v); i++)
                add(a, self_id, reg_json_str_of(json_object_array_get_idx(v, i)),
                    REG_LINEAGE_MODEL_CARD, out, &n, max);
        } else {
            add(a, self_id, reg_json_str_of(v), REG_LINEAGE_MODEL_CARD, out, &n, max);
        }
    }
    for (size_t i = 0; config && i < sizeof(config_fields) / sizeof(config_fields[0]); i++)
        add(a, self_id, reg_json_str(config, config_fields[i]), REG_LINEAGE_CONFIG_JSON, out, &n,
            max);
    return n;
}
