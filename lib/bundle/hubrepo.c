/*
 * hubrepo.c - registered artifacts as Hub repositories (see hubrepo.h).
 */
#include "bundle/hubrepo.h"

#include <openssl/evp.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "core/metadata.h"

static bool
hex_ok(const char *s, size_t digits)
{
    if (!s || strlen(s) != digits)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

const char *
reg_hub_repo_own_id(struct reg_arena *a, const char *what)
{
    unsigned char digest[20];
    char *hex = reg_arena_alloc(a, 41);

    EVP_Digest(what, strlen(what), digest, NULL, EVP_sha1(), NULL);
    reg_str_hex(digest, sizeof(digest), hex);
    return hex;
}

/* The files of the full bundle with their ids and their place in the zip. */
static enum reg_status
lay_out(struct reg_arena *a, struct reg_hub_repo *r)
{
    const struct reg_bundle_plan *p = &r->plan;
    struct reg_zip_entry *e = reg_arena_alloc(a, sizeof(*e) * (size_t)p->nfiles);
    struct reg_zip_offsets *off = reg_arena_alloc(a, sizeof(*off) * (size_t)p->nfiles);
    int64_t total;
    enum reg_status st;

    for (int i = 0; i < p->nfiles; i++) {
        e[i].name = p->files[i].path;
        e[i].size = p->files[i].size;
        e[i].crc = 0;
    }
    st = reg_zip_layout(e, p->nfiles, off, &total);
    if (st != REG_OK)
        return st;
    r->files = reg_arena_alloc(a, sizeof(*r->files) * (size_t)p->nfiles);
    r->nfiles = p->nfiles;
    for (int i = 0; i < p->nfiles; i++) {
        const struct reg_bundle_file *f = &p->files[i];
        struct reg_hub_file *h = &r->files[i];
        h->path = f->path;
        h->size = f->size;
        h->zip_offset = off[i].data;
        h->lfs_sha256 = hex_ok(f->lfs_sha256, 64) ? f->lfs_sha256 : NULL;
        h->oid = hex_ok(f->oid, 40)
                     ? f->oid
                     : reg_hub_repo_own_id(
                           a, reg_arena_sprintf(a, "registry file\n%s\n%s\n%s\n%lld", r->art.id,
                                                r->art.url, f->path, (long long)f->size));
    }
    return REG_OK;
}

enum reg_status
reg_hub_repo_open(struct reg_app *app, struct reg_arena *a, enum reg_artifact_type type,
                  const char *repo_id, struct reg_hub_repo *out)
{
    const struct reg_catalog_entry *e;
    struct reg_metadata md;
    const char *rev;
    enum reg_status st = reg_catalog_refresh(app->catalog, app->store);

    memset(out, 0, sizeof(*out));
    out->type = type;
    if (st != REG_OK)
        return st;
    e = reg_catalog_find_repo(app->catalog, type, repo_id);
    if (!e || !e->host || strcmp(e->host, "huggingface") != 0)
        return reg_errorf(REG_ENOTFOUND, "no registered %s is the repository %.200s",
                          reg_artifact_type_name(type), repo_id);
    out->repo_id = reg_arena_strdup(a, e->repo_id);
    st = reg_store_get(app->store, a, e->id, &out->art);
    if (st == REG_OK)
        st = reg_metadata_read(a, out->art.metadata, &md);
    if (st == REG_OK)
        st = reg_bundle_plan_make(app, a, &out->art, REG_BUNDLE_FULL, &out->plan);
    if (st != REG_OK)
        return st;
    out->metadata = md.doc;
    rev = reg_json_str(md.doc, "revision");
    out->revision = hex_ok(rev, 40)
                        ? rev
                        : reg_hub_repo_own_id(a, reg_arena_sprintf(a, "registry revision\n%s\n%s",
                                                                   out->art.id, out->art.url));
    return lay_out(a, out);
}

bool
reg_hub_repo_revision_ok(const struct reg_hub_repo *r, const char *rev)
{
    return rev && (strcmp(rev, "main") == 0 || strcmp(rev, r->revision) == 0);
}

const struct reg_hub_file *
reg_hub_repo_file(const struct reg_hub_repo *r, const char *path)
{
    for (int i = 0; path && i < r->nfiles; i++)
        if (strcmp(r->files[i].path, path) == 0)
            return &r->files[i];
    return NULL;
}

bool
reg_hub_repo_is_dir(const struct reg_hub_repo *r, const char *path)
{
    size_t n = path ? strlen(path) : 0;

    for (int i = 0; n > 0 && i < r->nfiles; i++)
        if (strncmp(r->files[i].path, path, n) == 0 && r->files[i].path[n] == '/')
            return true;
    return false;
}
