/*
 * store_sqlite.c - the embedded store: one SQLite file in WAL mode, one connection per worker
 * process, every statement prepared once.
 *
 * Schema (PRAGMA user_version is the schema version; migrations[] brings older files up):
 *   artifacts(seq INTEGER PRIMARY KEY AUTOINCREMENT, id UNIQUE, type, name, url, readme,
 *             metadata, created_at, updated_at, UNIQUE(type, url))
 *   meta(key PRIMARY KEY, value)   -- 'generation', bumped by triggers on every artifact change
 *   users(name PRIMARY KEY, is_admin, perms, password, created_at)
 *   tokens(id PRIMARY KEY, user REFERENCES users ON DELETE CASCADE, uses, issued_at)
 *   audit(seq, artifact_id, artifact_type, artifact_name, user, is_admin, action, date)
 *                                  -- an artifact's entries go with it (trigger); seq orders
 *                                     them and is the cursor of a page of them
 *   secrets(name PRIMARY KEY, value)  -- 'token', the HMAC key of access tokens
 *   sensitive(artifact_id PRIMARY KEY, program, marked_at)   -- sensitive models (trigger: they
 *   downloads(seq, artifact_id, user, date, refused, monitor)   go with the artifact); downloads
 *                                  is their download history, seq its order and page cursor
 *   pkg_groups(id PRIMARY KEY, owner, state, created_at, expires_at, version, commands, result)
 *                                  -- package groups (core/groups.h); a group's commit is one
 *                                     transaction with its artifacts' writes
 * seq is the stable enumerate order and never reused (AUTOINCREMENT), so pagination by
 * "seq > cursor" has no duplicates or gaps. synchronous=FULL: an acknowledged write survives
 * a crash of the process and of the machine.
 *
 * Token use counts are written often (a block of uses leased to a host at a time, or every use
 * where no lease table is shared), so they go through a second connection with
 * synchronous=NORMAL (no fsync per write; WAL keeps them safe from process crashes, and the next
 * FULL commit makes them durable). Both connections wait for the write lock with short sleeps
 * rather than SQLite's default millisecond back-off.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/user.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/str.h"
#include "core/audit.h"
#include "core/groups.h"
#include "core/sensitive.h"
#include "store/store.h"

enum stmt_id {
    ST_INSERT,
    ST_GET,
    ST_UPDATE,
    ST_DELETE,
    ST_LIST,
    ST_SCAN,
    ST_README_ROWS,
    ST_GENERATION,
    ST_COUNT,
    ST_ID_EXISTS,
    ST_USER_INSERT,
    ST_USER_GET,
    ST_USER_LIST,
    ST_USER_UPDATE,
    ST_USER_REMOVE,
    ST_TOKEN_INSERT,
    ST_TOKEN_EXISTS,
    ST_AUDIT_APPEND,
    ST_AUDIT_APPEND_ONCE,
    ST_AUDIT_LIST,
    ST_SECRET_PUT,
    ST_SECRET_GET,
    ST_SENSITIVE_GET,
    ST_SENSITIVE_PUT,
    ST_SENSITIVE_DELETE,
    ST_DOWNLOAD_APPEND,
    ST_DOWNLOAD_LIST,
    ST_GROUP_INSERT,
    ST_GROUP_REPLACE,
    ST_GROUP_GET,
    ST_GROUP_SWEEP,
    ST_COUNT_ALL
};

static const char *const stmt_sql[ST_COUNT_ALL] = {
    [ST_INSERT] = "INSERT INTO artifacts(id, type, name, url, readme, metadata, created_at, "
                  "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    [ST_GET] = "SELECT seq, id, type, name, url, readme, metadata FROM artifacts WHERE id = ?1",
    [ST_UPDATE] = "UPDATE artifacts SET name = ?2, url = ?3, readme = ?4, metadata = ?5, "
                  "updated_at = ?6 WHERE id = ?1",
    [ST_DELETE] = "DELETE FROM artifacts WHERE id = ?1",
    /* ?2: type mask of the "*" queries; ?3: JSON array of {"n": name, "m": mask}. The named
     * half joins through the name index; a constant-false ?2 skips the scan of the first. */
    [ST_LIST] = "SELECT seq, id, type, name, url FROM artifacts WHERE ?2 != 0 AND seq > ?1 AND "
                "((?2 >> type) & 1) "
                "UNION "
                "SELECT a.seq, a.id, a.type, a.name, a.url FROM json_each(?3) AS q "
                "JOIN artifacts AS a ON a.name = json_extract(q.value, '$.n') "
                "WHERE a.seq > ?1 AND ((json_extract(q.value, '$.m') >> a.type) & 1) "
                "ORDER BY 1 LIMIT ?4",
    [ST_SCAN] = "SELECT seq, id, type, name, url, metadata FROM artifacts ORDER BY seq",
    /* typeof() reads the column's type from the record header, not its (long) text. */
    [ST_README_ROWS] = "SELECT seq, id FROM artifacts WHERE typeof(readme) = 'text'",
    [ST_GENERATION] = "SELECT value FROM meta WHERE key = 'generation'",
    [ST_COUNT] = "SELECT count(*) FROM artifacts",
    [ST_ID_EXISTS] = "SELECT 1 FROM artifacts WHERE id = ?1",
    [ST_USER_INSERT] = "INSERT INTO users(name, is_admin, perms, password, created_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_USER_GET] = "SELECT name, is_admin, perms, password FROM users WHERE name = ?1",
    [ST_USER_LIST] = "SELECT name, is_admin, perms, password FROM users ORDER BY created_at, name",
    /* One statement each, so "another admin remains" is checked under the write lock. */
    [ST_USER_UPDATE] = "UPDATE users SET is_admin = ?2, perms = ?3 WHERE name = ?1 AND (?2 = 1 "
                       "OR is_admin = 0 OR (SELECT count(*) FROM users WHERE is_admin = 1) > 1)",
    [ST_USER_REMOVE] = "DELETE FROM users WHERE name = ?1 AND (is_admin = 0 OR "
                       "(SELECT count(*) FROM users WHERE is_admin = 1) > 1)",
    [ST_TOKEN_INSERT] = "INSERT INTO tokens(id, user, uses, issued_at) VALUES (?1, ?2, 0, ?3)",
    [ST_TOKEN_EXISTS] = "SELECT uses FROM tokens WHERE id = ?1",
    [ST_AUDIT_APPEND] = "INSERT INTO audit(artifact_id, artifact_type, artifact_name, user, "
                        "is_admin, action, date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* One statement: an INSERT takes the write lock before it reads, so the check and the
     * append are one step for every connection. */
    [ST_AUDIT_APPEND_ONCE] = "INSERT INTO audit(artifact_id, artifact_type, artifact_name, user, "
                             "is_admin, action, date) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 "
                             "WHERE NOT EXISTS (SELECT 1 FROM audit WHERE artifact_id = ?1 AND "
                             "user = ?4 AND action = ?6 AND date > ?7 - ?8)",
    [ST_AUDIT_LIST] = "SELECT artifact_id, artifact_type, artifact_name, user, is_admin, action, "
                      "date, seq FROM audit WHERE artifact_id = ?1 AND seq > ?2 ORDER BY seq "
                      "LIMIT ?3",
    [ST_SECRET_PUT] = "INSERT OR IGNORE INTO secrets(name, value) VALUES ('token', ?1)",
    [ST_SECRET_GET] = "SELECT value FROM secrets WHERE name = 'token'",
    [ST_SENSITIVE_GET] = "SELECT program, marked_at FROM sensitive WHERE artifact_id = ?1",
    /* Only for an artifact that exists, in the same statement as the check (a model deleted
     * meanwhile is not marked); ?4: whether the program is replaced. */
    [ST_SENSITIVE_PUT] = "INSERT INTO sensitive(artifact_id, program, marked_at) SELECT ?1, ?2, ?3 "
                         "WHERE EXISTS (SELECT 1 FROM artifacts WHERE id = ?1) "
                         "ON CONFLICT(artifact_id) DO UPDATE SET program = "
                         "CASE WHEN ?4 THEN excluded.program ELSE program END",
    [ST_SENSITIVE_DELETE] = "DELETE FROM sensitive WHERE artifact_id = ?1",
    [ST_DOWNLOAD_APPEND] = "INSERT INTO downloads(artifact_id, user, date, refused, monitor) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_DOWNLOAD_LIST] = "SELECT artifact_id, user, date, refused, monitor, seq FROM downloads "
                         "WHERE artifact_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    [ST_GROUP_INSERT] = "INSERT INTO pkg_groups(id, owner, state, created_at, expires_at, version, "
                        "commands, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    /* ?9: the version the caller read; a change made meanwhile leaves the row alone. */
    [ST_GROUP_REPLACE] = "UPDATE pkg_groups SET owner = ?2, state = ?3, created_at = ?4, "
                         "expires_at = ?5, version = ?6, commands = ?7, result = ?8 "
                         "WHERE id = ?1 AND version = ?9",
    [ST_GROUP_GET] = "SELECT id, owner, state, created_at, expires_at, version, commands, result "
                     "FROM pkg_groups WHERE id = ?1",
    [ST_GROUP_SWEEP] = "DELETE FROM pkg_groups WHERE expires_at < ?1",
};

/* The token counters' statements, on the counter connection (see the file comment): spend
 * ?3 uses if that many remain; move the count from ?3 to ?2 if it still is ?3 (the rest of
 * the uses, when fewer than asked remain); give ?2 unspent uses back. */
enum counter_stmt_id { CT_TAKE, CT_TAKE_REST, CT_GIVE_BACK, CT_COUNT };
static const char *const counter_sql[CT_COUNT] = {
    [CT_TAKE] = ("UPDATE tokens SET uses = uses + ?3 WHERE id = ?1 AND uses + ?3 <= ?2 "
                 "RETURNING uses"),
    [CT_TAKE_REST] = "UPDATE tokens SET uses = ?2 WHERE id = ?1 AND uses = ?3 RETURNING uses",
    [CT_GIVE_BACK] = "UPDATE tokens SET uses = MAX(0, uses - ?2) WHERE id = ?1",
};
/* Attempts at taking the rest of a token's uses while other callers change its count. */
#define TAKE_REST_ATTEMPTS 16

/* Each entry moves the schema from version i to i + 1. */
static const char *const migrations[] = {
    "CREATE TABLE artifacts ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  type INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  url TEXT NOT NULL,"
    "  readme TEXT,"
    "  metadata TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (type, url));"
    "CREATE INDEX artifacts_name ON artifacts(name);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO meta VALUES ('generation', 0);"
    "CREATE TRIGGER artifacts_ins AFTER INSERT ON artifacts BEGIN"
    "  UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;"
    "CREATE TRIGGER artifacts_upd AFTER UPDATE ON artifacts BEGIN"
    "  UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;"
    "CREATE TRIGGER artifacts_del AFTER DELETE ON artifacts BEGIN"
    "  UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;",

    "CREATE TABLE users ("
    "  name TEXT PRIMARY KEY,"
    "  is_admin INTEGER NOT NULL,"
    "  perms INTEGER NOT NULL,"
    "  password TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE tokens ("
    "  id TEXT PRIMARY KEY,"
    "  user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
    "  uses INTEGER NOT NULL,"
    "  issued_at INTEGER NOT NULL);"
    "CREATE INDEX tokens_user ON tokens(user);"
    "CREATE TABLE audit ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  artifact_id TEXT NOT NULL,"
    "  artifact_type INTEGER NOT NULL,"
    "  artifact_name TEXT NOT NULL,"
    "  user TEXT NOT NULL,"
    "  is_admin INTEGER NOT NULL,"
    "  action INTEGER NOT NULL,"
    "  date INTEGER NOT NULL);"
    "CREATE INDEX audit_artifact ON audit(artifact_id, seq);"
    "CREATE TRIGGER artifacts_del_audit AFTER DELETE ON artifacts BEGIN"
    "  DELETE FROM audit WHERE artifact_id = old.id; END;"
    "CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);",

    /* A reader's latest entry of an action on an artifact, for appends once per window. */
    "CREATE INDEX audit_reader ON audit(artifact_id, user, action, date);",

    /* Sensitive models and their download history (core/sensitive.h). */
    "CREATE TABLE sensitive ("
    "  artifact_id TEXT PRIMARY KEY,"
    "  program TEXT,"
    "  marked_at INTEGER NOT NULL);"
    "CREATE TABLE downloads ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  artifact_id TEXT NOT NULL,"
    "  user TEXT NOT NULL,"
    "  date INTEGER NOT NULL,"
    "  refused INTEGER NOT NULL,"
    "  monitor TEXT);"
    "CREATE INDEX downloads_artifact ON downloads(artifact_id, seq);"
    "CREATE TRIGGER artifacts_del_sensitive AFTER DELETE ON artifacts BEGIN"
    "  DELETE FROM sensitive WHERE artifact_id = old.id;"
    "  DELETE FROM downloads WHERE artifact_id = old.id; END;",

    /* Package groups (core/groups.h). */
    "CREATE TABLE pkg_groups ("
    "  id TEXT PRIMARY KEY,"
    "  owner TEXT NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  commands TEXT NOT NULL,"
    "  result TEXT);"
    "CREATE INDEX pkg_groups_expiry ON pkg_groups(expires_at);",
};

struct sqlite_store {
    struct reg_store base;
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT_ALL];
    sqlite3 *counter_db; /* token use counts only; NULL for ":memory:" (one connection) */
    sqlite3_stmt *counter[CT_COUNT];
    sqlite3 *count_conn; /* counter_db, or db when there is no counter connection */
};

static enum reg_status
db_error(struct sqlite_store *s, const char *what)
{
    reg_log(REG_LOG_ERROR, "sqlite %s: %s", what, sqlite3_errmsg(s->db));
    return reg_errorf(REG_ESTORE, "store failure during %s: %s", what, sqlite3_errmsg(s->db));
}

/* The statement, reset and with bindings cleared, ready to bind. */
static sqlite3_stmt *
stmt(struct sqlite_store *s, enum stmt_id id)
{
    sqlite3_stmt *st = s->stmt[id];

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static const char *
col_text(struct reg_arena *a, sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);

    return v ? reg_arena_strndup(a, (const char *)v, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

/* Columns seq, id, type, name, url in that order, as every SELECT of artifacts has them. */
static void
row_head(sqlite3_stmt *st, struct reg_arena *a, struct reg_artifact *out)
{
    int type = sqlite3_column_int(st, 2); /* written from the enum */

    memset(out, 0, sizeof(*out));
    out->seq = sqlite3_column_int64(st, 0);
    snprintf(out->id, sizeof(out->id), "%s", (const char *)sqlite3_column_text(st, 1));
    out->type = (enum reg_artifact_type)type;
    out->name = col_text(a, st, 3);
    out->url = col_text(a, st, 4);
}

static struct sqlite_store *
self(struct reg_store *s)
{
    return (struct sqlite_store *)s;
}

static bool
id_exists(struct sqlite_store *s, const char *id)
{
    sqlite3_stmt *st = stmt(s, ST_ID_EXISTS);
    bool found;

    bind_text(st, 1, id);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return found;
}

static enum reg_status
sq_insert(struct reg_store *base, struct reg_artifact *art, bool *id_taken)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_INSERT);
    int rc;

    *id_taken = false;
    bind_text(st, 1, art->id);
    sqlite3_bind_int(st, 2, (int)art->type);
    bind_text(st, 3, art->name);
    bind_text(st, 4, art->url);
    bind_text(st, 5, art->readme);
    bind_text(st, 6, art->metadata);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
        art->seq = sqlite3_last_insert_rowid(s->db);
        return REG_OK;
    }
    if (rc == SQLITE_CONSTRAINT) {
        *id_taken = id_exists(s, art->id);
        if (*id_taken)
            return reg_errorf(REG_ECONFLICT, "id %s is taken", art->id);
        return reg_errorf(REG_ECONFLICT, "a %s with url %.200s is already registered",
                          reg_artifact_type_name(art->type), art->url);
    }
    return db_error(s, "insert");
}

static enum reg_status
sq_get(struct reg_store *base, struct reg_arena *a, const char *id, struct reg_artifact *out)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_GET);
    int rc;

    bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row_head(st, a, out);
        out->readme = col_text(a, st, 5);
        out->metadata = col_text(a, st, 6);
        sqlite3_reset(st);
        return REG_OK;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return reg_errorf(REG_ENOTFOUND, "no artifact with id %s", id);
    return db_error(s, "get");
}

static enum reg_status
sq_update(struct reg_store *base, const struct reg_artifact *art)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_UPDATE);
    int rc;

    bind_text(st, 1, art->id);
    bind_text(st, 2, art->name);
    bind_text(st, 3, art->url);
    bind_text(st, 4, art->readme);
    bind_text(st, 5, art->metadata);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_CONSTRAINT)
        return reg_errorf(REG_ECONFLICT, "a %s with url %.200s is already registered",
                          reg_artifact_type_name(art->type), art->url);
    if (rc != SQLITE_DONE)
        return db_error(s, "update");
    if (sqlite3_changes(s->db) == 0)
        return reg_errorf(REG_ENOTFOUND, "no artifact with id %s", art->id);
    return REG_OK;
}

static enum reg_status
sq_remove(struct reg_store *base, const char *id)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_DELETE);
    int rc;

    bind_text(st, 1, id);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_error(s, "delete");
    if (sqlite3_changes(s->db) == 0)
        return reg_errorf(REG_ENOTFOUND, "no artifact with id %s", id);
    return REG_OK;
}

/* Splits filters into the type mask of "any name" queries and a JSON list of named ones. */
static const char *
filters_json(struct reg_arena *a, const struct reg_store_filter *f, int n, unsigned *any_mask)
{
    struct json_object *list = reg_arena_own_json(a, json_object_new_array());

    *any_mask = 0;
    for (int i = 0; i < n; i++) {
        struct json_object *q;
        if (!f[i].name) {
            *any_mask |= f[i].types;
            continue;
        }
        q = json_object_new_object();
        json_object_object_add(q, "n", json_object_new_string(f[i].name));
        json_object_object_add(q, "m", json_object_new_int((int)f[i].types));
        json_object_array_add(list, q);
    }
    return json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN);
}

static enum reg_status
sq_list(struct reg_store *base, struct reg_arena *a, const struct reg_store_filter *filters,
        int nfilters, int64_t after, int limit, struct reg_store_page *out)
{
    struct sqlite_store *s = self(base);
    unsigned any_mask;
    const char *named = filters_json(a, filters, nfilters, &any_mask);
    sqlite3_stmt *st = stmt(s, ST_LIST);
    int rc;

    out->items = reg_arena_alloc(a, sizeof(*out->items) * (size_t)(limit + 1));
    out->count = 0;
    out->next_after = 0;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, (int)any_mask);
    bind_text(st, 3, named);
    /* One more row than asked tells whether another page follows. */
    sqlite3_bind_int(st, 4, limit + 1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        row_head(st, a, &out->items[out->count++]);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_error(s, "list");
    if (out->count > limit) {
        out->count = limit;
        out->next_after = out->items[limit - 1].seq;
    }
    return REG_OK;
}

static enum reg_status
sq_scan(struct reg_store *base, reg_store_scan_fn fn, void *ctx)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_SCAN);
    enum reg_status result = REG_OK;
    struct reg_arena row_arena;
    int rc = SQLITE_DONE;

    reg_arena_init(&row_arena);
    while (result == REG_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct reg_artifact art;
        row_head(st, &row_arena, &art);
        art.metadata = (const char *)sqlite3_column_text(st, 5);
        result = fn(ctx, &art);
        reg_arena_cleanup(&row_arena);
    }
    sqlite3_reset(st);
    if (result == REG_OK && rc != SQLITE_DONE)
        return db_error(s, "scan");
    return result;
}

/* The search feed's reader: one blob handle moved from row to row, and a buffer of max + 1
 * bytes (the byte past the prefix tells whether it ends inside a character). */
struct readme_reader {
    struct sqlite_store *s;
    sqlite3_blob *blob;
    char *buf;
    size_t max;
};

/* Points the reader's blob handle at the README of row seq. */
static enum reg_status
open_readme(struct readme_reader *r, sqlite3_int64 seq)
{
    int rc = r->blob ? sqlite3_blob_reopen(r->blob, seq)
                     : sqlite3_blob_open(r->s->db, "main", "artifacts", "readme", seq, 0, &r->blob);

    if (rc == SQLITE_OK)
        return REG_OK;
    /* A handle that failed to move cannot be used again. */
    sqlite3_blob_close(r->blob);
    r->blob = NULL;
    return db_error(r->s, "README read");
}

/* Feeds the README prefix of the current row of st to fn. */
static enum reg_status
feed_row(struct readme_reader *r, sqlite3_stmt *st, reg_store_readme_fn fn, void *ctx)
{
    char id[REG_ID_MAX + 1];
    size_t total, n;
    enum reg_status result = open_readme(r, sqlite3_column_int64(st, 0));

    if (result != REG_OK)
        return result;
    snprintf(id, sizeof(id), "%s", (const char *)sqlite3_column_text(st, 1));
    total = (size_t)sqlite3_blob_bytes(r->blob);
    n = total < r->max + 1 ? total : r->max + 1;
    if (n == 0)
        return REG_OK; /* an empty README is none */
    if (sqlite3_blob_read(r->blob, r->buf, (int)n, 0) != SQLITE_OK)
        return db_error(r->s, "README read");
    return fn(ctx, id, r->buf, reg_str_utf8_cut(r->buf, n, r->max));
}

/* Reads each README's prefix with incremental blob I/O, which touches only the pages that hold
 * those bytes: reading the column would load the whole README (up to 1 MiB) per row. */
static enum reg_status
sq_readmes(struct reg_store *base, size_t max_bytes, reg_store_readme_fn fn, void *ctx)
{
    struct readme_reader r = {self(base), NULL, malloc(max_bytes + 1), max_bytes};
    sqlite3_stmt *st = stmt(r.s, ST_README_ROWS);
    enum reg_status result = REG_OK;
    int rc = SQLITE_DONE;

    if (!r.buf)
        reg_oom();
    while (result == REG_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        result = feed_row(&r, st, fn, ctx);
    sqlite3_reset(st);
    sqlite3_blob_close(r.blob);
    free(r.buf);
    if (result == REG_OK && rc != SQLITE_DONE)
        return db_error(r.s, "README feed");
    return result;
}

static enum reg_status
single_int(struct sqlite_store *s, enum stmt_id id, const char *what, int64_t *out)
{
    sqlite3_stmt *st = stmt(s, id);
    int rc = sqlite3_step(st);

    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_error(s, what);
    }
    *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return REG_OK;
}

static enum reg_status
sq_generation(struct reg_store *base, uint64_t *out)
{
    int64_t v = 0;
    enum reg_status st = single_int(self(base), ST_GENERATION, "generation", &v);

    *out = (uint64_t)v;
    return st;
}

static enum reg_status
sq_count(struct reg_store *base, int64_t *out)
{
    return single_int(self(base), ST_COUNT, "count", out);
}

static enum reg_status
sq_reset(struct reg_store *base)
{
    static const char *const sql = "BEGIN IMMEDIATE;"
                                   "DELETE FROM artifacts;"
                                   "DELETE FROM audit;"
                                   "DELETE FROM sensitive;"
                                   "DELETE FROM downloads;"
                                   "DELETE FROM tokens;"
                                   "DELETE FROM users;"
                                   "DELETE FROM pkg_groups;"
                                   "COMMIT;";
    struct sqlite_store *s = self(base);

    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        enum reg_status err = db_error(s, "reset");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return err;
    }
    return REG_OK;
}

/* Runs a prepared statement that returns no rows; REG_ENOTFOUND if it changed nothing and
 * must_change is set; REG_ECONFLICT on a constraint. */
static enum reg_status
exec_stmt(struct sqlite_store *s, sqlite3_stmt *st, const char *what, bool must_change)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    if (rc == SQLITE_CONSTRAINT)
        return reg_errorf(REG_ECONFLICT, "%s conflicts with existing data", what);
    if (rc != SQLITE_DONE)
        return db_error(s, what);
    if (must_change && sqlite3_changes(s->db) == 0)
        return reg_errorf(REG_ENOTFOUND, "%s: no such record", what);
    return REG_OK;
}

static void
user_row(sqlite3_stmt *st, struct reg_arena *a, struct reg_user *out)
{
    out->name = col_text(a, st, 0);
    out->is_admin = sqlite3_column_int(st, 1) != 0;
    out->perms = (unsigned)sqlite3_column_int(st, 2);
    out->password = col_text(a, st, 3);
}

static enum reg_status
sq_user_insert(struct reg_store *base, const struct reg_user *u)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_USER_INSERT);
    enum reg_status rc;

    bind_text(st, 1, u->name);
    sqlite3_bind_int(st, 2, u->is_admin);
    sqlite3_bind_int(st, 3, (int)u->perms);
    bind_text(st, 4, u->password);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
    rc = exec_stmt(s, st, "user insert", false);
    if (rc == REG_ECONFLICT)
        return reg_errorf(REG_ECONFLICT, "user '%.100s' exists already", u->name);
    return rc;
}

static enum reg_status
sq_user_get(struct reg_store *base, struct reg_arena *a, const char *name, struct reg_user *out)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_USER_GET);
    int rc;

    bind_text(st, 1, name);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        user_row(st, a, out);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return REG_OK;
    if (rc == SQLITE_DONE)
        return reg_errorf(REG_ENOTFOUND, "no user named '%.100s'", name);
    return db_error(s, "user get");
}

static enum reg_status
sq_user_list(struct reg_store *base, struct reg_arena *a, struct reg_user **out, int *count)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_USER_LIST);
    int cap = 16, rc;

    *count = 0;
    *out = reg_arena_alloc(a, sizeof(**out) * (size_t)cap);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*count == cap) {
            struct reg_user *grown = reg_arena_alloc(a, sizeof(*grown) * (size_t)cap * 2);
            memcpy(grown, *out, sizeof(*grown) * (size_t)cap);
            *out = grown;
            cap *= 2;
        }
        user_row(st, a, &(*out)[(*count)++]);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? REG_OK : db_error(s, "user list");
}

/* After a user statement changed nothing: the user is missing, or is the last admin. */
static enum reg_status
user_unchanged(struct sqlite_store *s, const char *name, const char *what)
{
    sqlite3_stmt *st = stmt(s, ST_USER_GET);
    int rc;

    bind_text(st, 1, name);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return reg_errorf(REG_ECONFLICT, "cannot %s '%.100s': no other admin would remain", what,
                          name);
    return reg_errorf(REG_ENOTFOUND, "no user named '%.100s'", name);
}

static enum reg_status
sq_user_update(struct reg_store *base, const struct reg_user *u)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_USER_UPDATE);
    enum reg_status rc;

    bind_text(st, 1, u->name);
    sqlite3_bind_int(st, 2, u->is_admin);
    sqlite3_bind_int(st, 3, (int)u->perms);
    rc = exec_stmt(s, st, "user update", false);
    if (rc == REG_OK && sqlite3_changes(s->db) == 0)
        return user_unchanged(s, u->name, "remove admin from");
    return rc;
}

static enum reg_status
sq_user_remove(struct reg_store *base, const char *name)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_USER_REMOVE);
    enum reg_status rc;

    /* The tokens go with the user: ON DELETE CASCADE, in the same statement. */
    bind_text(st, 1, name);
    rc = exec_stmt(s, st, "user remove", false);
    if (rc == REG_OK && sqlite3_changes(s->db) == 0)
        return user_unchanged(s, name, "delete");
    return rc;
}

static enum reg_status
sq_token_insert(struct reg_store *base, const char *id, const char *user)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_TOKEN_INSERT);

    bind_text(st, 1, id);
    bind_text(st, 2, user);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
    return exec_stmt(s, st, "token insert", false);
}

/* Why a token is not accepted: its row exists (it is used up) or not (revoked). */
static enum reg_status
token_refused(bool exists, int64_t max_uses)
{
    if (exists)
        return reg_errorf(REG_EAUTH,
                          "the access token has been used %lld times, its limit; "
                          "authenticate again",
                          (long long)max_uses);
    return reg_errorf(REG_EAUTH, "the access token has been revoked");
}

/* Runs counter statement st (bound by the caller) to its end: 1 if it changed the row (*uses
 * is then the count after it), 0 if not, -1 on a store failure (logged). */
static int
run_counter(struct sqlite_store *s, sqlite3_stmt *st, int64_t *uses)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW && uses)
        *uses = sqlite3_column_int64(st, 0);
    /* Stepping to the end finishes the UPDATE's transaction. */
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        reg_log(REG_LOG_ERROR, "sqlite token count: %s", sqlite3_errmsg(s->count_conn));
        return -1;
    }
    return sqlite3_changes(s->count_conn) == 1;
}

/* The token's count now: 1 with *uses if it exists, 0 if not, -1 on a store failure. */
static int
read_uses(struct sqlite_store *s, const char *id, int64_t *uses)
{
    sqlite3_stmt *st = stmt(s, ST_TOKEN_EXISTS);
    int rc;

    bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *uses = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_error(s, "token read");
        return -1;
    }
    return rc == SQLITE_ROW;
}

/* Fewer than want uses remain (or none): takes what remains by compare-and-set, retried while
 * other callers move the count. */
static enum reg_status
take_rest(struct sqlite_store *s, const char *id, int64_t max_uses, int64_t *granted, int64_t *uses)
{
    sqlite3_stmt *st = s->counter[CT_TAKE_REST];

    for (int attempt = 0; attempt < TAKE_REST_ATTEMPTS; attempt++) {
        int64_t now = 0;
        int found = read_uses(s, id, &now), changed;

        if (found < 0)
            return reg_errorf(REG_ESTORE, "store failure while counting a token use");
        if (!found || now >= max_uses)
            return token_refused(found == 1, max_uses);
        bind_text(st, 1, id);
        sqlite3_bind_int64(st, 2, max_uses);
        sqlite3_bind_int64(st, 3, now);
        changed = run_counter(s, st, uses);
        if (changed < 0)
            return reg_errorf(REG_ESTORE, "store failure while counting a token use");
        if (changed) {
            *granted = max_uses - now;
            return REG_OK;
        }
    }
    return reg_errorf(REG_ESTORE, "a token's count kept changing; try again");
}

static enum reg_status
sq_token_take(struct reg_store *base, const char *user, const char *id, int64_t max_uses,
              int64_t want, int64_t *granted, int64_t *uses)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = s->counter[CT_TAKE];
    int changed;

    (void)user; /* the id alone names the row */
    *granted = 0;
    if (want < 1)
        return reg_errorf(REG_EINVAL, "a token use count must be positive");
    bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, max_uses);
    sqlite3_bind_int64(st, 3, want);
    changed = run_counter(s, st, uses);
    if (changed < 0)
        return reg_errorf(REG_ESTORE, "store failure while counting a token use");
    if (changed) {
        *granted = want;
        return REG_OK;
    }
    return take_rest(s, id, max_uses, granted, uses);
}

static enum reg_status
sq_token_give_back(struct reg_store *base, const char *user, const char *id, int64_t n)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = s->counter[CT_GIVE_BACK];

    (void)user;
    if (n < 1)
        return REG_OK;
    bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, n);
    if (run_counter(s, st, NULL) < 0)
        return reg_errorf(REG_ESTORE, "store failure while returning unspent token uses");
    return REG_OK;
}

static enum reg_status
sq_token_check(struct reg_store *base, const char *user, const char *id, int64_t max_uses)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_TOKEN_EXISTS);
    int64_t uses = 0;
    int rc;

    (void)user; /* the id alone names the row */
    bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        uses = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(s, "token check");
    if (rc == SQLITE_ROW && uses < max_uses)
        return REG_OK;
    return token_refused(rc == SQLITE_ROW, max_uses);
}

/* Binds ?1..?7 of an audit INSERT to e. */
static void
bind_audit(sqlite3_stmt *st, const struct reg_audit_entry *e)
{
    bind_text(st, 1, e->artifact.id);
    sqlite3_bind_int(st, 2, (int)e->artifact.type);
    bind_text(st, 3, e->artifact.name);
    bind_text(st, 4, e->user);
    sqlite3_bind_int(st, 5, e->is_admin);
    sqlite3_bind_int(st, 6, (int)e->action);
    sqlite3_bind_int64(st, 7, e->date);
}

static enum reg_status
sq_audit_append(struct reg_store *base, const struct reg_audit_entry *e)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_AUDIT_APPEND);

    bind_audit(st, e);
    return exec_stmt(s, st, "audit append", false);
}

static enum reg_status
sq_audit_append_once(struct reg_store *base, const struct reg_audit_entry *e, int64_t window,
                     bool *appended)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_AUDIT_APPEND_ONCE);
    enum reg_status rc;

    bind_audit(st, e);
    sqlite3_bind_int64(st, 8, window);
    rc = exec_stmt(s, st, "audit append", false);
    *appended = rc == REG_OK && sqlite3_changes(s->db) == 1;
    return rc;
}

static void
audit_row(sqlite3_stmt *st, struct reg_arena *a, void *slot)
{
    struct reg_audit_entry *e = slot;
    /* written from the enums by sq_audit_append */
    int type = sqlite3_column_int(st, 1), action = sqlite3_column_int(st, 5);

    snprintf(e->artifact.id, sizeof(e->artifact.id), "%s", sqlite3_column_text(st, 0));
    e->artifact.type = (enum reg_artifact_type)type;
    e->artifact.name = col_text(a, st, 2);
    e->user = col_text(a, st, 3);
    e->is_admin = sqlite3_column_int(st, 4) != 0;
    e->action = (enum reg_audit_action)action;
    e->date = sqlite3_column_int64(st, 6);
}

/* Reads one row of a sequence list into the slot it is given (strings into the arena). */
typedef void (*seq_row_fn)(sqlite3_stmt *st, struct reg_arena *a, void *slot);

/* The rows statement id answers for (artifact_id, after, limit + 1), in seq order (column
 * seq_col): at most limit of them read by fn into items + i * size; *count says how many and
 * *next_after the cursor of the rest (0 when none remain). The audit trail's and the download
 * history's pages. */
static enum reg_status
list_seq(struct sqlite_store *s, enum stmt_id id, struct reg_arena *a, const char *artifact_id,
         int64_t after, int limit, seq_row_fn fn, void *items, size_t size, int seq_col, int *count,
         int64_t *next_after)
{
    sqlite3_stmt *st = stmt(s, id);
    int64_t last_seq = 0;
    int rc;

    *count = 0;
    *next_after = 0;
    bind_text(st, 1, artifact_id);
    sqlite3_bind_int64(st, 2, after);
    /* One more row than asked tells whether another page follows. */
    sqlite3_bind_int(st, 3, limit + 1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*count == limit) {
            *next_after = last_seq;
            continue;
        }
        fn(st, a, (char *)items + (size_t)(*count)++ * size);
        last_seq = sqlite3_column_int64(st, seq_col);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? REG_OK : db_error(s, "list");
}

static enum reg_status
sq_audit_list(struct reg_store *base, struct reg_arena *a, const char *artifact_id, int64_t after,
              int limit, struct reg_audit_page *out)
{
    out->items = reg_arena_alloc(a, sizeof(*out->items) * (size_t)(limit + 1));
    return list_seq(self(base), ST_AUDIT_LIST, a, artifact_id, after, limit, audit_row, out->items,
                    sizeof(*out->items), 7, &out->count, &out->next_after);
}

static enum reg_status
sq_secret(struct reg_store *base, const unsigned char candidate[32], unsigned char out[32])
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_SECRET_PUT);
    enum reg_status status;
    int rc;

    sqlite3_bind_blob(st, 1, candidate, 32, SQLITE_STATIC);
    status = exec_stmt(s, st, "secret", false);
    if (status != REG_OK)
        return status;
    st = stmt(s, ST_SECRET_GET);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) != 32) {
        sqlite3_reset(st);
        return reg_errorf(REG_ESTORE, "the stored token secret is malformed");
    }
    if (rc == SQLITE_ROW)
        memcpy(out, sqlite3_column_blob(st, 0), 32);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? REG_OK : db_error(s, "secret");
}

static enum reg_status
sq_sensitive_get(struct reg_store *base, struct reg_arena *a, const char *id,
                 struct reg_sensitive *out)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_SENSITIVE_GET);
    int rc;

    bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->program = col_text(a, st, 0);
        out->marked_at = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return reg_errorf(REG_ENOTFOUND, "model %s is not sensitive", id);
    return rc == SQLITE_ROW ? REG_OK : db_error(s, "sensitive get");
}

static enum reg_status
sq_sensitive_put(struct reg_store *base, const char *id, const char *program, bool set_program,
                 int64_t now)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_SENSITIVE_PUT);
    enum reg_status rc;

    bind_text(st, 1, id);
    bind_text(st, 2, set_program ? program : NULL);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int(st, 4, set_program);
    rc = exec_stmt(s, st, "sensitive put", false);
    if (rc == REG_OK && sqlite3_changes(s->db) == 0)
        return reg_errorf(REG_ENOTFOUND, "no artifact with id %s", id);
    return rc;
}

static enum reg_status
sq_sensitive_remove(struct reg_store *base, const char *id)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_SENSITIVE_DELETE);
    enum reg_status rc;

    bind_text(st, 1, id);
    rc = exec_stmt(s, st, "sensitive remove", true);
    return rc == REG_ENOTFOUND ? reg_errorf(REG_ENOTFOUND, "model %s is not sensitive", id) : rc;
}

static enum reg_status
sq_download_append(struct reg_store *base, const struct reg_download_event *e)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_DOWNLOAD_APPEND);

    bind_text(st, 1, e->artifact_id);
    bind_text(st, 2, e->user);
    sqlite3_bind_int64(st, 3, e->date);
    sqlite3_bind_int(st, 4, e->refused);
    bind_text(st, 5, e->monitor);
    return exec_stmt(s, st, "download history append", false);
}

static void
download_row(sqlite3_stmt *st, struct reg_arena *a, void *slot)
{
    struct reg_download_event *e = slot;

    e->artifact_id = col_text(a, st, 0);
    e->user = col_text(a, st, 1);
    e->date = sqlite3_column_int64(st, 2);
    e->refused = sqlite3_column_int(st, 3) != 0;
    e->monitor = col_text(a, st, 4);
}

static enum reg_status
sq_download_list(struct reg_store *base, struct reg_arena *a, const char *artifact_id,
                 int64_t after, int limit, struct reg_download_page *out)
{
    out->items = reg_arena_alloc(a, sizeof(*out->items) * (size_t)(limit + 1));
    return list_seq(self(base), ST_DOWNLOAD_LIST, a, artifact_id, after, limit, download_row,
                    out->items, sizeof(*out->items), 5, &out->count, &out->next_after);
}

/* ---- package groups ------------------------------------------------------------------------ */

/* Runs ST_GROUP_INSERT (expect_version < 0) or ST_GROUP_REPLACE for g. */
static enum reg_status
write_group(struct sqlite_store *s, const struct reg_group *g, int64_t expect_version)
{
    sqlite3_stmt *st = stmt(s, expect_version < 0 ? ST_GROUP_INSERT : ST_GROUP_REPLACE);
    enum reg_status rc;

    bind_text(st, 1, g->id);
    bind_text(st, 2, g->owner);
    sqlite3_bind_int(st, 3, (int)g->state);
    sqlite3_bind_int64(st, 4, g->created);
    sqlite3_bind_int64(st, 5, g->expires);
    sqlite3_bind_int64(st, 6, g->version);
    bind_text(st, 7, g->commands);
    bind_text(st, 8, g->result);
    if (expect_version >= 0)
        sqlite3_bind_int64(st, 9, expect_version);
    rc = exec_stmt(s, st, "group write", expect_version >= 0);
    if (rc == REG_ECONFLICT)
        return reg_errorf(REG_ECONFLICT, "group id %s is taken", g->id);
    if (rc == REG_ENOTFOUND) /* gone, or changed since the caller read it */
        return reg_errorf(REG_ECONFLICT, "group %s changed meanwhile", g->id);
    return rc;
}

static enum reg_status
sq_group_put(struct reg_store *base, const struct reg_group *g, int64_t expect_version)
{
    return write_group(self(base), g, expect_version);
}

static enum reg_status
sq_group_get(struct reg_store *base, struct reg_arena *a, const char *id, struct reg_group *out)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_GROUP_GET);
    int rc;

    bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int state = sqlite3_column_int(st, 2); /* written from the enum */
        memset(out, 0, sizeof(*out));
        snprintf(out->id, sizeof(out->id), "%s", (const char *)sqlite3_column_text(st, 0));
        out->owner = col_text(a, st, 1);
        out->state = (enum reg_group_state)state;
        out->created = sqlite3_column_int64(st, 3);
        out->expires = sqlite3_column_int64(st, 4);
        out->version = sqlite3_column_int64(st, 5);
        out->commands = col_text(a, st, 6);
        out->result = col_text(a, st, 7);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return REG_OK;
    if (rc == SQLITE_DONE)
        return reg_errorf(REG_ENOTFOUND, "no group with id %s", id);
    return db_error(s, "group get");
}

/* Inserts art under its id. A taken id (63 random bits, so next to never) fails the commit
 * rather than being redrawn: the group's result, written in the same transaction, names the
 * ids the core drew. */
static enum reg_status
insert_new(struct reg_store *base, struct reg_artifact *art)
{
    bool id_taken = false;

    return sq_insert(base, art, &id_taken);
}

/* One write transaction: readers (other connections, WAL) see the state before it or after
 * it, never between; any failure rolls all of it back. */
static enum reg_status
sq_group_commit(struct reg_store *base, const struct reg_group *g, int64_t expect_version,
                struct reg_artifact *arts, const bool *updated, int n)
{
    struct sqlite_store *s = self(base);
    enum reg_status st = REG_OK;

    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(s, "begin group commit");
    st = write_group(s, g, expect_version);
    for (int i = 0; i < n && st == REG_OK; i++)
        st = updated[i] ? sq_update(base, &arts[i]) : insert_new(base, &arts[i]);
    if (st == REG_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        st = db_error(s, "commit group");
    if (st != REG_OK)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

static enum reg_status
sq_group_sweep(struct reg_store *base, int64_t now)
{
    struct sqlite_store *s = self(base);
    sqlite3_stmt *st = stmt(s, ST_GROUP_SWEEP);

    sqlite3_bind_int64(st, 1, now);
    return exec_stmt(s, st, "group sweep", false);
}

static void
sq_close(struct reg_store *base)
{
    struct sqlite_store *s = self(base);

    for (int i = 0; i < ST_COUNT_ALL; i++)
        sqlite3_finalize(s->stmt[i]);
    for (int i = 0; i < CT_COUNT; i++)
        sqlite3_finalize(s->counter[i]);
    sqlite3_close(s->counter_db);
    sqlite3_close(s->db);
    free(s);
}

static const struct reg_store_ops sqlite_ops = {
    .name = "sqlite",
    .insert = sq_insert,
    .get = sq_get,
    .update = sq_update,
    .remove = sq_remove,
    .list = sq_list,
    .scan = sq_scan,
    .readmes = sq_readmes,
    .generation = sq_generation,
    .count = sq_count,
    .reset = sq_reset,
    .user_insert = sq_user_insert,
    .user_get = sq_user_get,
    .user_list = sq_user_list,
    .user_update = sq_user_update,
    .user_remove = sq_user_remove,
    .token_insert = sq_token_insert,
    .token_take = sq_token_take,
    .token_give_back = sq_token_give_back,
    .token_check = sq_token_check,
    .audit_append = sq_audit_append,
    .audit_append_once = sq_audit_append_once,
    .audit_list = sq_audit_list,
    .secret = sq_secret,
    .sensitive_get = sq_sensitive_get,
    .sensitive_put = sq_sensitive_put,
    .sensitive_remove = sq_sensitive_remove,
    .download_append = sq_download_append,
    .download_list = sq_download_list,
    .group_put = sq_group_put,
    .group_get = sq_group_get,
    .group_commit = sq_group_commit,
    .group_sweep = sq_group_sweep,
    .close = sq_close,
};

/* Applies the migrations the file has not seen, in one write transaction, so concurrent
 * openers (workers starting together) migrate exactly once. */
static enum reg_status
migrate(struct sqlite_store *s)
{
    const int target = (int)(sizeof(migrations) / sizeof(migrations[0]));
    sqlite3_stmt *st;
    int version = 0;

    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(s, "begin migration");
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > target) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return reg_errorf(REG_ESTORE, "database schema %d is newer than this build (%d)", version,
                          target);
    }
    for (int v = version; v < target; v++) {
        char bump[64];
        snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(s->db, bump, NULL, NULL, NULL) != SQLITE_OK) {
            enum reg_status err = db_error(s, "migration");
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return err;
        }
    }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(s, "commit migration");
    return REG_OK;
}

/* Waits for another connection's write lock in 100 us steps, up to REG_SQLITE_BUSY_MS. */
static int
short_busy_wait(void *arg, int attempts)
{
    const struct timespec pause = {0, 100 * 1000L};

    (void)arg;
    if (attempts >= REG_SQLITE_BUSY_MS * 10)
        return 0;
    nanosleep(&pause, NULL);
    return 1;
}

/* Switching a new file to WAL does not wait on the busy timeout, so processes opening a fresh
 * store together retry here for as long as the timeout would have waited. */
static enum reg_status
enable_wal(struct sqlite_store *s)
{
    const struct timespec pause = {0, 10 * 1000000L};
    int rc;

    for (int waited_ms = 0;; waited_ms += 10) {
        rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        if (rc != SQLITE_BUSY || waited_ms >= REG_SQLITE_BUSY_MS)
            break;
        nanosleep(&pause, NULL);
    }
    return rc == SQLITE_OK ? REG_OK : db_error(s, "enable WAL");
}

static enum reg_status
configure(struct sqlite_store *s)
{
    static const char *const pragmas = "PRAGMA synchronous = FULL;"
                                       "PRAGMA foreign_keys = ON;";
    enum reg_status st;

    sqlite3_busy_handler(s->db, short_busy_wait, NULL);
    st = enable_wal(s);
    if (st != REG_OK)
        return st;
    if (sqlite3_exec(s->db, pragmas, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(s, "configure");
    st = migrate(s);
    if (st != REG_OK)
        return st;
    for (int i = 0; i < ST_COUNT_ALL; i++)
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
                               NULL) != SQLITE_OK)
            return db_error(s, "prepare");
    return REG_OK;
}

/* Prepares the counter statements on s->count_conn. */
static bool
prepare_counters(struct sqlite_store *s)
{
    for (int i = 0; i < CT_COUNT; i++)
        if (sqlite3_prepare_v3(s->count_conn, counter_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                               &s->counter[i], NULL) != SQLITE_OK)
            return false;
    return true;
}

/* The second connection, for token use counts (see the file comment). */
static enum reg_status
open_counter(struct sqlite_store *s, const char *path, int flags)
{
    if (strcmp(path, ":memory:") == 0) {
        /* Another connection would open another, empty, database. */
        s->count_conn = s->db;
        return prepare_counters(s) ? REG_OK : db_error(s, "prepare");
    }
    if (sqlite3_open_v2(path, &s->counter_db, flags, NULL) != SQLITE_OK ||
        sqlite3_exec(s->counter_db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK)
        return reg_errorf(REG_ESTORE, "cannot open the counter connection to %s: %s", path,
                          s->counter_db ? sqlite3_errmsg(s->counter_db) : "out of memory");
    s->count_conn = s->counter_db;
    if (!prepare_counters(s))
        return reg_errorf(REG_ESTORE, "cannot prepare the token counters on %s: %s", path,
                          sqlite3_errmsg(s->counter_db));
    sqlite3_busy_handler(s->counter_db, short_busy_wait, NULL);
    return REG_OK;
}

enum reg_status
reg_store_sqlite_open(const char *path, struct reg_store **out)
{
    struct sqlite_store *s = calloc(1, sizeof(*s));
    enum reg_status st;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

    *out = NULL;
    if (!s)
        reg_oom();
    s->base.ops = &sqlite_ops;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        st = reg_errorf(REG_ESTORE, "cannot open %s: %s", path,
                        s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sq_close(&s->base);
        return st;
    }
    st = configure(s);
    if (st == REG_OK)
        st = open_counter(s, path, flags);
    if (st != REG_OK) {
        sq_close(&s->base);
        return st;
    }
    *out = &s->base;
    return REG_OK;
}
