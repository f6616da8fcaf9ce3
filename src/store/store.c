/* store.c: map snapshots in SQLite: schema migrations, ingest with merge, load, list.
 *
 * One row in `snapshots` per label holds the source block; `source_files`, `nodes`,
 * `edges` and `latency_summaries` hold the rest, keyed by (snapshot, position) so that a
 * snapshot loads back in the order it was written: node positions are the indexes the
 * edges refer to. Sketches are stored in their compact binary form (sketch.h), so
 * ingesting more traces into a label merges exactly. Every change runs inside BEGIN
 * IMMEDIATE ... COMMIT (the write lock is taken before the snapshot is read, so two
 * concurrent ingests into one label cannot lose each other's counts) and the database
 * is in WAL mode with synchronous=FULL: a killed process leaves only uncommitted WAL
 * frames, which SQLite ignores on the next open.
 */
#include "svcmap/store.h"

#include <errno.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sm_store {
    sqlite3 *db;
    char *path;
};

/* Append-only: never edit a migration that has shipped, add the next one instead. */
const char *const sm_store_migrations[] = {
    /* 1: the snapshot tables. */
    "CREATE TABLE snapshots ("
    "  id INTEGER PRIMARY KEY,"
    "  label TEXT NOT NULL UNIQUE,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  ingests INTEGER NOT NULL,"
    "  formats INTEGER NOT NULL,"
    "  spans INTEGER NOT NULL,"
    "  traces INTEGER NOT NULL,"
    "  skipped_records INTEGER NOT NULL,"
    "  unresolved_calls INTEGER NOT NULL,"
    "  start_ns INTEGER NOT NULL,"
    "  end_ns INTEGER NOT NULL);"
    "CREATE TABLE source_files ("
    "  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
    "  position INTEGER NOT NULL,"
    "  path TEXT NOT NULL,"
    "  PRIMARY KEY (snapshot_id, position)) WITHOUT ROWID;"
    "CREATE TABLE nodes ("
    "  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
    "  position INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  namespace TEXT,"
    "  version TEXT,"
    "  system TEXT,"
    "  entry_calls INTEGER NOT NULL,"
    "  PRIMARY KEY (snapshot_id, position)) WITHOUT ROWID;"
    "CREATE TABLE edges ("
    "  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
    "  position INTEGER NOT NULL,"
    "  from_node INTEGER NOT NULL,"
    "  to_node INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  calls INTEGER NOT NULL,"
    "  errors INTEGER NOT NULL,"
    "  latency_estimated INTEGER NOT NULL,"
    "  client_sketch BLOB,"
    "  server_sketch BLOB,"
    "  PRIMARY KEY (snapshot_id, position)) WITHOUT ROWID;"
    "CREATE TABLE latency_summaries ("
    "  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
    "  edge INTEGER NOT NULL,"
    "  side TEXT NOT NULL CHECK (side IN ('client', 'server')),"
    "  count INTEGER NOT NULL,"
    "  min REAL, max REAL, mean REAL, p50 REAL, p90 REAL, p95 REAL, p99 REAL,"
    "  PRIMARY KEY (snapshot_id, edge, side)) WITHOUT ROWID;",
    /* 2: a readable view for people querying the database with sqlite3. */
    "CREATE VIEW edge_list AS"
    "  SELECT s.label AS label, f.kind || ':' || f.name AS from_id,"
    "         t.kind || ':' || t.name AS to_id, e.kind AS kind, e.calls AS calls,"
    "         e.errors AS errors"
    "  FROM edges e JOIN snapshots s ON s.id = e.snapshot_id"
    "  JOIN nodes f ON f.snapshot_id = e.snapshot_id AND f.position = e.from_node"
    "  JOIN nodes t ON t.snapshot_id = e.snapshot_id AND t.position = e.to_node;",
    /* 3: how coarse estimated figures are: the bucket bounds of each quantile (NULL for
     * figures that are not estimates; +Inf for the +Inf bucket). */
    "ALTER TABLE latency_summaries ADD COLUMN p50_lo REAL;"
    "ALTER TABLE latency_summaries ADD COLUMN p50_hi REAL;"
    "ALTER TABLE latency_summaries ADD COLUMN p90_lo REAL;"
    "ALTER TABLE latency_summaries ADD COLUMN p90_hi REAL;"
    "ALTER TABLE latency_summaries ADD COLUMN p95_lo REAL;"
    "ALTER TABLE latency_summaries ADD COLUMN p95_hi REAL;"
    "ALTER TABLE latency_summaries ADD COLUMN p99_lo REAL;"
    "ALTER TABLE latency_summaries ADD COLUMN p99_hi REAL;",
};
const size_t sm_store_nmigrations = sizeof(sm_store_migrations) / sizeof(sm_store_migrations[0]);

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

static int db_fail(struct sm_store *st, struct sm_error *err, const char *what)
{
    return sm_error_at(err, SM_ESYSTEM, st->path, 0, 0, -1, "%s: %s", what, sqlite3_errmsg(st->db));
}

static int exec_sql(struct sm_store *st, const char *sql, const char *what, struct sm_error *err)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(st, err, what);
    return 0;
}

static int prepare(struct sm_store *st, const char *sql, sqlite3_stmt **stmt, struct sm_error *err)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK)
        return db_fail(st, err, "preparing a statement");
    return 0;
}

static void rollback(struct sm_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int read_user_version(struct sm_store *st, int *version, struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st, "PRAGMA user_version", &stmt, err)))
        return rc;
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        rc = db_fail(st, err, "reading the schema version");
        goto out_finalize;
    }
    *version = sqlite3_column_int(stmt, 0);
out_finalize:
    sqlite3_finalize(stmt);
    return rc;
}

int sm_store_schema_version(struct sm_store *st)
{
    int version = -1;

    if (read_user_version(st, &version, NULL))
        return -1;
    return version;
}

/* Brings the schema up to date: all pending migrations and the new user_version in one
 * transaction, re-reading the version under the write lock in case another process
 * migrated first. */
static int migrate(struct sm_store *st, bool read_only, struct sm_error *err)
{
    int version, rc;
    char sql[64];
    size_t i;

    if ((rc = read_user_version(st, &version, err)))
        return rc;
    if (version > (int)sm_store_nmigrations)
        return sm_error_at(err, SM_ESYSTEM, st->path, 0, 0, -1,
                           "database schema version %d is newer than this svcmap knows (%zu)",
                           version, sm_store_nmigrations);
    if (version == (int)sm_store_nmigrations)
        return 0;
    if (read_only)
        return sm_error_at(err, SM_ESYSTEM, st->path, 0, 0, -1,
                           "database schema version %d needs upgrading to %zu, but the "
                           "database is read-only",
                           version, sm_store_nmigrations);
    if ((rc = exec_sql(st, "BEGIN IMMEDIATE", "starting the schema migration", err)))
        return rc;
    if ((rc = read_user_version(st, &version, err)))
        goto out_rollback;
    for (i = (size_t)version; i < sm_store_nmigrations; i++) {
        char what[64];

        snprintf(what, sizeof(what), "applying schema migration %zu", i + 1);
        if ((rc = exec_sql(st, sm_store_migrations[i], what, err)))
            goto out_rollback;
    }
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", sm_store_nmigrations);
    if ((rc = exec_sql(st, sql, "setting the schema version", err)))
        goto out_rollback;
    if ((rc = exec_sql(st, "COMMIT", "committing the schema migration", err)))
        goto out_rollback;
    return 0;
out_rollback:
    rollback(st);
    return rc;
}

/* True when the database and the folder its -wal and -shm files go in are writable. */
static bool writable(const char *path)
{
    char *dir = sm_xstrdup(path), *slash = strrchr(dir, '/');
    bool ok;

    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    ok = access(path, W_OK) == 0 && access(dir, W_OK) == 0;
    free(dir);
    return ok;
}

/* "file:PATH?immutable=1" with the URI's special characters escaped: a database nobody
 * can write (a downloaded release asset in a read-only folder) is read without the
 * -shm file a WAL database otherwise needs. Caller frees. */
static char *immutable_uri(const char *path)
{
    struct sm_buf b;
    const char *p;

    sm_buf_init(&b);
    sm_buf_adds(&b, "file:");
    for (p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            sm_buf_printf(&b, "%%%02X", (unsigned char)*p);
        else
            sm_buf_addc(&b, *p);
    }
    sm_buf_adds(&b, "?immutable=1");
    return b.data;
}

int sm_store_open(struct sm_store **out, const char *path, enum sm_store_mode mode,
                  struct sm_error *err)
{
    struct sm_store *st;
    struct stat sb;
    char *uri = NULL;
    int flags = SQLITE_OPEN_READWRITE, rc;
    bool read_only = false;

    *out = NULL;
    if (mode == SM_STORE_READ && stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return sm_error_at(err, SM_EINPUT, path, 0, 0, -1, "no such database");
        return sm_error_at(err, SM_EINPUT, path, 0, 0, -1, "cannot open the database: %s",
                           strerror(errno));
    }
    if (mode == SM_STORE_CREATE)
        flags |= SQLITE_OPEN_CREATE;
    else if (!writable(path))
        read_only = true;
    st = sm_xcalloc(1, sizeof(*st));
    st->path = sm_xstrdup(path);
    if (read_only) {
        uri = immutable_uri(path);
        rc = sqlite3_open_v2(uri, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    } else {
        rc = sqlite3_open_v2(path, &st->db, flags, NULL);
    }
    if (rc != SQLITE_OK) {
        rc = st->db ? db_fail(st, err, "cannot open the database")
                    : sm_error_at(err, SM_ESYSTEM, path, 0, 0, -1, "cannot open the database");
        goto out_close;
    }
    sqlite3_busy_timeout(st->db, 10000);
    /* journal_mode answers with a row; exec ignores it. A file that is not a database
     * fails here with "file is not a database". */
    if (!read_only &&
        ((rc = exec_sql(st, "PRAGMA journal_mode = WAL", "switching to WAL", err)) ||
         (rc = exec_sql(st, "PRAGMA synchronous = FULL", "setting synchronous", err))))
        goto out_close;
    if ((rc = migrate(st, read_only, err)))
        goto out_close;
    free(uri);
    *out = st;
    return 0;
out_close:
    free(uri);
    sm_store_close(st);
    return rc;
}

void sm_store_close(struct sm_store *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

/* Id of the snapshot label, 0 when there is none, or a negative status. */
static int64_t find_snapshot(struct sm_store *st, const char *label, struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int64_t id = 0;
    int rc;

    if ((rc = prepare(st, "SELECT id FROM snapshots WHERE label = ?", &stmt, err)))
        return rc;
    sqlite3_bind_text(stmt, 1, label, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        id = sqlite3_column_int64(stmt, 0);
    else if (rc != SQLITE_DONE)
        id = db_fail(st, err, "looking up a snapshot");
    sqlite3_finalize(stmt);
    return id;
}

static const char *column_text(sqlite3_stmt *stmt, int col)
{
    return (const char *)sqlite3_column_text(stmt, col);
}

static int corrupt(struct sm_store *st, struct sm_error *err, const char *what)
{
    return sm_error_at(err, SM_ESYSTEM, st->path, 0, 0, -1, "corrupt snapshot: %s", what);
}

/* A count as it is written: at most SM_COUNT_MAX, which an int64 column holds. */
static sqlite3_int64 count_value(uint64_t v)
{
    return (sqlite3_int64)(v > SM_COUNT_MAX ? SM_COUNT_MAX : v);
}

/* A count column: counts are written from 0 to SM_COUNT_MAX; a negative value can only
 * be one that wrapped past INT64_MAX (written by an older svcmap), so it reads as
 * SM_COUNT_MAX rather than as a huge or negative number. */
static uint64_t column_count(sqlite3_stmt *stmt, int col)
{
    sqlite3_int64 v = sqlite3_column_int64(stmt, col);

    return v < 0 ? SM_COUNT_MAX : (uint64_t)v;
}

/* A sum over rows, taken with total() (a double, which cannot overflow as SQLite's
 * integer sum() does and fail the whole query), saturated at SM_COUNT_MAX. */
static uint64_t column_total(sqlite3_stmt *stmt, int col)
{
    double v = sqlite3_column_double(stmt, col);

    if (!(v > 0))
        return 0;
    return v >= 9223372036854775807.0 ? SM_COUNT_MAX : (uint64_t)v;
}

static int load_source(struct sm_store *st, int64_t id, struct sm_map *map, struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st,
                      "SELECT formats, spans, traces, skipped_records, unresolved_calls, "
                      "start_ns, end_ns FROM snapshots WHERE id = ?",
                      &stmt, err)))
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    if (sqlite3_step(stmt) != SQLITE_ROW) {
        rc = db_fail(st, err, "reading a snapshot");
        goto out_finalize;
    }
    map->source.formats = (unsigned)sqlite3_column_int64(stmt, 0);
    map->source.spans = column_count(stmt, 1);
    map->source.traces = column_count(stmt, 2);
    map->source.skipped_records = column_count(stmt, 3);
    map->source.unresolved_calls = column_count(stmt, 4);
    map->source.start_ns = sqlite3_column_int64(stmt, 5);
    map->source.end_ns = sqlite3_column_int64(stmt, 6);
    sqlite3_finalize(stmt);
    stmt = NULL;

    if ((rc = prepare(st, "SELECT path FROM source_files WHERE snapshot_id = ? ORDER BY position",
                      &stmt, err)))
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        sm_map_add_file(map, column_text(stmt, 0));
    rc = rc == SQLITE_DONE ? 0 : db_fail(st, err, "reading source files");
out_finalize:
    sqlite3_finalize(stmt);
    return rc;
}

static int load_nodes(struct sm_store *st, int64_t id, struct sm_map *map, struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st,
                      "SELECT position, kind, name, namespace, version, system, entry_calls "
                      "FROM nodes WHERE snapshot_id = ? ORDER BY position",
                      &stmt, err)))
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        enum sm_node_kind kind;
        const char *name = column_text(stmt, 2);
        struct sm_node *n;
        size_t before = map->nnodes, i;

        if (!column_text(stmt, 1) || sm_node_kind_parse(column_text(stmt, 1), &kind) || !name) {
            rc = corrupt(st, err, "unknown node kind");
            goto out_finalize;
        }
        i = sm_map_node(map, kind, name);
        /* positions are 0..n-1 and identities unique, or the edges would point astray */
        if (map->nnodes != before + 1 || (int64_t)i != sqlite3_column_int64(stmt, 0)) {
            rc = corrupt(st, err, "node positions out of order");
            goto out_finalize;
        }
        n = &map->nodes[i];
        sm_node_set_attr(&n->namespace_, column_text(stmt, 3));
        sm_node_set_attr(&n->version, column_text(stmt, 4));
        sm_node_set_attr(&n->system, column_text(stmt, 5));
        n->entry_calls = column_count(stmt, 6);
    }
    rc = rc == SQLITE_DONE ? 0 : db_fail(st, err, "reading nodes");
out_finalize:
    sqlite3_finalize(stmt);
    return rc;
}

static int load_sketch(struct sm_store *st, sqlite3_stmt *stmt, int col, struct sm_sketch *sk,
                       struct sm_error *err)
{
    const void *blob = sqlite3_column_blob(stmt, col);
    int len = sqlite3_column_bytes(stmt, col);
    int rc;

    if (!blob || len <= 0)
        return 0;
    rc = sm_sketch_deserialize(sk, blob, (size_t)len, err);
    if (rc && err && !err->file[0])
        snprintf(err->file, sizeof(err->file), "%s", st->path);
    return rc;
}

static int load_edges(struct sm_store *st, int64_t id, struct sm_map *map, struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st,
                      "SELECT position, from_node, to_node, kind, calls, errors, "
                      "latency_estimated, client_sketch, server_sketch FROM edges "
                      "WHERE snapshot_id = ? ORDER BY position",
                      &stmt, err)))
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t from = sqlite3_column_int64(stmt, 1), to = sqlite3_column_int64(stmt, 2);
        enum sm_edge_kind kind;
        struct sm_edge *e;
        size_t before = map->nedges;

        if (from < 0 || to < 0 || (uint64_t)from >= map->nnodes || (uint64_t)to >= map->nnodes ||
            !column_text(stmt, 3) || sm_edge_kind_parse(column_text(stmt, 3), &kind)) {
            rc = corrupt(st, err, "edge refers to no node or has an unknown kind");
            goto out_finalize;
        }
        e = sm_map_edge(map, (size_t)from, (size_t)to, kind);
        if (map->nedges != before + 1 || sqlite3_column_int64(stmt, 0) != (int64_t)before) {
            rc = corrupt(st, err, "edge positions out of order");
            goto out_finalize;
        }
        e->calls = column_count(stmt, 4);
        e->errors = column_count(stmt, 5);
        e->latency_estimated = sqlite3_column_int(stmt, 6) != 0;
        if ((rc = load_sketch(st, stmt, 7, &e->client, err)) ||
            (rc = load_sketch(st, stmt, 8, &e->server, err)))
            goto out_finalize;
    }
    rc = rc == SQLITE_DONE ? 0 : db_fail(st, err, "reading edges");
out_finalize:
    sqlite3_finalize(stmt);
    return rc;
}

static int load_summaries(struct sm_store *st, int64_t id, struct sm_map *map, struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc, k;

    if ((rc = prepare(st,
                      "SELECT edge, side, count, min, max, mean, p50, p90, p95, p99, "
                      "p50_lo, p50_hi, p90_lo, p90_hi, p95_lo, p95_hi, p99_lo, p99_hi "
                      "FROM latency_summaries WHERE snapshot_id = ?",
                      &stmt, err)))
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t edge = sqlite3_column_int64(stmt, 0);
        const char *side = column_text(stmt, 1);
        struct sm_latency_summary *s;

        if (edge < 0 || (uint64_t)edge >= map->nedges || !side) {
            rc = corrupt(st, err, "latency summary of no edge");
            goto out_finalize;
        }
        s = !strcmp(side, "server") ? &map->edges[edge].server_summary
                                    : &map->edges[edge].client_summary;
        s->count = column_count(stmt, 2);
        s->min = sqlite3_column_double(stmt, 3);
        s->max = sqlite3_column_double(stmt, 4);
        s->mean = sqlite3_column_double(stmt, 5);
        s->p50 = sqlite3_column_double(stmt, 6);
        s->p90 = sqlite3_column_double(stmt, 7);
        s->p95 = sqlite3_column_double(stmt, 8);
        s->p99 = sqlite3_column_double(stmt, 9);
        s->bounded = sqlite3_column_type(stmt, 10) != SQLITE_NULL;
        for (k = 0; s->bounded && k < 4; k++) {
            s->lo[k] = sqlite3_column_double(stmt, 10 + 2 * k);
            s->hi[k] = sqlite3_column_double(stmt, 11 + 2 * k);
        }
    }
    rc = rc == SQLITE_DONE ? 0 : db_fail(st, err, "reading latency summaries");
out_finalize:
    sqlite3_finalize(stmt);
    return rc;
}

static int load_snapshot(struct sm_store *st, int64_t id, struct sm_map *map, struct sm_error *err)
{
    int rc;

    if ((rc = load_source(st, id, map, err)) || (rc = load_nodes(st, id, map, err)) ||
        (rc = load_edges(st, id, map, err)) || (rc = load_summaries(st, id, map, err)))
        return rc;
    sm_map_sort(map);
    return 0;
}

static int no_label(struct sm_store *st, const char *label, struct sm_error *err)
{
    return sm_error_at(err, SM_EINPUT, st->path, 0, 0, -1, "no snapshot labelled '%s'", label);
}

int sm_store_load(struct sm_store *st, const char *label, struct sm_map *map, struct sm_error *err)
{
    int64_t id;
    int rc;

    /* a read transaction, so that the snapshot is read as of one commit */
    if ((rc = exec_sql(st, "BEGIN", "starting a read", err)))
        return rc;
    id = find_snapshot(st, label, err);
    if (id < 0) {
        rc = (int)id;
        goto out_rollback;
    }
    if (id == 0) {
        rc = no_label(st, label, err);
        goto out_rollback;
    }
    rc = load_snapshot(st, id, map, err);
out_rollback:
    rollback(st);
    return rc;
}

static int delete_rows(struct sm_store *st, int64_t id, bool with_snapshot, struct sm_error *err)
{
    static const char *const tables[] = {"latency_summaries", "edges", "nodes", "source_files"};
    char sql[96];
    size_t i;

    for (i = 0; i < sizeof(tables) / sizeof(tables[0]) + (with_snapshot ? 1 : 0); i++) {
        sqlite3_stmt *stmt = NULL;
        int rc;

        if (i < sizeof(tables) / sizeof(tables[0]))
            snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE snapshot_id = ?", tables[i]);
        else
            snprintf(sql, sizeof(sql), "DELETE FROM snapshots WHERE id = ?");
        if ((rc = prepare(st, sql, &stmt, err)))
            return rc;
        sqlite3_bind_int64(stmt, 1, id);
        rc = sqlite3_step(stmt) == SQLITE_DONE ? 0 : db_fail(st, err, "deleting a snapshot");
        sqlite3_finalize(stmt);
        if (rc)
            return rc;
    }
    return 0;
}

static int step_done(struct sm_store *st, sqlite3_stmt *stmt, const char *what,
                     struct sm_error *err)
{
    int rc = sqlite3_step(stmt) == SQLITE_DONE ? 0 : db_fail(st, err, what);

    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

/* Writes the source counters into a new snapshot row (id 0) or an existing one. */
static int write_snapshot_row(struct sm_store *st, int64_t *id, const char *label,
                              const struct sm_map *map, struct sm_error *err)
{
    const struct sm_source *src = &map->source;
    sqlite3_stmt *stmt = NULL;
    int rc;

    if (*id)
        rc = prepare(st,
                     "UPDATE snapshots SET updated_at = " NOW_SQL ", ingests = ingests + 1, "
                     "formats = ?2, spans = ?3, traces = ?4, skipped_records = ?5, "
                     "unresolved_calls = ?6, start_ns = ?7, end_ns = ?8 WHERE id = ?1",
                     &stmt, err);
    else
        rc = prepare(st,
                     "INSERT INTO snapshots (label, created_at, updated_at, ingests, formats, "
                     "spans, traces, skipped_records, unresolved_calls, start_ns, end_ns) "
                     "VALUES (?1, " NOW_SQL ", " NOW_SQL ", 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                     &stmt, err);
    if (rc)
        return rc;
    if (*id)
        sqlite3_bind_int64(stmt, 1, *id);
    else
        sqlite3_bind_text(stmt, 1, label, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)src->formats);
    sqlite3_bind_int64(stmt, 3, count_value(src->spans));
    sqlite3_bind_int64(stmt, 4, count_value(src->traces));
    sqlite3_bind_int64(stmt, 5, count_value(src->skipped_records));
    sqlite3_bind_int64(stmt, 6, count_value(src->unresolved_calls));
    sqlite3_bind_int64(stmt, 7, src->start_ns);
    sqlite3_bind_int64(stmt, 8, src->end_ns);
    rc = step_done(st, stmt, "writing a snapshot", err);
    if (!rc && !*id)
        *id = sqlite3_last_insert_rowid(st->db);
    sqlite3_finalize(stmt);
    return rc;
}

static int write_files(struct sm_store *st, int64_t id, const struct sm_map *map,
                       struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    size_t i;
    int rc;

    if ((rc = prepare(st, "INSERT INTO source_files (snapshot_id, position, path) VALUES (?, ?, ?)",
                      &stmt, err)))
        return rc;
    for (i = 0; i < map->source.nfiles && !rc; i++) {
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)i);
        sqlite3_bind_text(stmt, 3, map->source.files[i], -1, SQLITE_STATIC);
        rc = step_done(st, stmt, "writing source files", err);
    }
    sqlite3_finalize(stmt);
    return rc;
}

static void bind_text_or_null(sqlite3_stmt *stmt, int col, const char *text)
{
    if (text)
        sqlite3_bind_text(stmt, col, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, col);
}

static int write_nodes(struct sm_store *st, int64_t id, const struct sm_map *map,
                       struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    size_t i;
    int rc;

    if ((rc = prepare(st,
                      "INSERT INTO nodes (snapshot_id, position, kind, name, namespace, version, "
                      "system, entry_calls) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      &stmt, err)))
        return rc;
    for (i = 0; i < map->nnodes && !rc; i++) {
        const struct sm_node *n = &map->nodes[i];

        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)i);
        sqlite3_bind_text(stmt, 3, sm_node_kind_name(n->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 4, n->name, -1, SQLITE_STATIC);
        bind_text_or_null(stmt, 5, n->namespace_);
        bind_text_or_null(stmt, 6, n->version);
        bind_text_or_null(stmt, 7, n->system);
        sqlite3_bind_int64(stmt, 8, count_value(n->entry_calls));
        rc = step_done(st, stmt, "writing nodes", err);
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* Binds a sketch's binary form (NULL for an empty side); *blob is freed by the caller
 * after the statement ran. */
static void bind_sketch(sqlite3_stmt *stmt, int col, const struct sm_sketch *sk,
                        unsigned char **blob)
{
    size_t len;

    *blob = NULL;
    if (!sk->count) {
        sqlite3_bind_null(stmt, col);
        return;
    }
    len = sm_sketch_serialize(sk, blob);
    sqlite3_bind_blob(stmt, col, *blob, (int)len, SQLITE_STATIC);
}

static int write_summary(struct sm_store *st, sqlite3_stmt *stmt, int64_t id, size_t edge,
                         const char *side, const struct sm_latency_summary *s, struct sm_error *err)
{
    int k;

    if (!s->count)
        return 0;
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)edge);
    sqlite3_bind_text(stmt, 3, side, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, count_value(s->count));
    sqlite3_bind_double(stmt, 5, s->min);
    sqlite3_bind_double(stmt, 6, s->max);
    sqlite3_bind_double(stmt, 7, s->mean);
    sqlite3_bind_double(stmt, 8, s->p50);
    sqlite3_bind_double(stmt, 9, s->p90);
    sqlite3_bind_double(stmt, 10, s->p95);
    sqlite3_bind_double(stmt, 11, s->p99);
    for (k = 0; k < 4; k++) {
        if (s->bounded) {
            sqlite3_bind_double(stmt, 12 + 2 * k, s->lo[k]);
            sqlite3_bind_double(stmt, 13 + 2 * k, s->hi[k]);
        } else {
            sqlite3_bind_null(stmt, 12 + 2 * k);
            sqlite3_bind_null(stmt, 13 + 2 * k);
        }
    }
    return step_done(st, stmt, "writing latency summaries", err);
}

static int write_edges(struct sm_store *st, int64_t id, const struct sm_map *map,
                       struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL, *sum = NULL;
    size_t i;
    int rc;

    if ((rc = prepare(st,
                      "INSERT INTO edges (snapshot_id, position, from_node, to_node, kind, calls, "
                      "errors, latency_estimated, client_sketch, server_sketch) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      &stmt, err)))
        return rc;
    if ((rc = prepare(st,
                      "INSERT INTO latency_summaries (snapshot_id, edge, side, count, min, max, "
                      "mean, p50, p90, p95, p99, p50_lo, p50_hi, p90_lo, p90_hi, p95_lo, "
                      "p95_hi, p99_lo, p99_hi) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      &sum, err)))
        goto out_finalize;
    for (i = 0; i < map->nedges && !rc; i++) {
        const struct sm_edge *e = &map->edges[i];
        unsigned char *client = NULL, *server = NULL;

        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)i);
        sqlite3_bind_int64(stmt, 3, (sqlite3_int64)e->from);
        sqlite3_bind_int64(stmt, 4, (sqlite3_int64)e->to);
        sqlite3_bind_text(stmt, 5, sm_edge_kind_name(e->kind), -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 6, count_value(e->calls));
        sqlite3_bind_int64(stmt, 7, count_value(e->errors));
        sqlite3_bind_int(stmt, 8, e->latency_estimated ? 1 : 0);
        bind_sketch(stmt, 9, &e->client, &client);
        bind_sketch(stmt, 10, &e->server, &server);
        rc = step_done(st, stmt, "writing edges", err);
        free(client);
        free(server);
        if (!rc)
            rc = write_summary(st, sum, id, i, "client", &e->client_summary, err);
        if (!rc)
            rc = write_summary(st, sum, id, i, "server", &e->server_summary, err);
    }
out_finalize:
    sqlite3_finalize(sum);
    sqlite3_finalize(stmt);
    return rc;
}

/* Ingest (merge) and replace share one transaction shape. */
static int put_snapshot(struct sm_store *st, const char *label, const struct sm_map *map,
                        bool merge, bool *merged, struct sm_error *err)
{
    struct sm_map snap;
    bool existed;
    int64_t id;
    int rc;

    sm_map_init(&snap);
    if (merged)
        *merged = false;
    if ((rc = exec_sql(st, "BEGIN IMMEDIATE", "starting the ingest", err)))
        return rc;
    id = find_snapshot(st, label, err);
    if (id < 0) {
        rc = (int)id;
        goto out_rollback;
    }
    existed = id != 0;
    if (existed && merge && (rc = load_snapshot(st, id, &snap, err)))
        goto out_rollback;
    /* merging into an empty map is an exact copy, so both cases take one path */
    sm_map_merge(&snap, map);
    sm_map_sort(&snap);
    if (existed && (rc = delete_rows(st, id, false, err)))
        goto out_rollback;
    if ((rc = write_snapshot_row(st, &id, label, &snap, err)) ||
        (rc = write_files(st, id, &snap, err)) || (rc = write_nodes(st, id, &snap, err)) ||
        (rc = write_edges(st, id, &snap, err)))
        goto out_rollback;
    if ((rc = exec_sql(st, "COMMIT", "committing the ingest", err)))
        goto out_rollback;
    if (merged)
        *merged = existed;
    sm_map_release(&snap);
    return 0;
out_rollback:
    rollback(st);
    sm_map_release(&snap);
    return rc;
}

int sm_store_ingest(struct sm_store *st, const char *label, const struct sm_map *map, bool *merged,
                    struct sm_error *err)
{
    return put_snapshot(st, label, map, true, merged, err);
}

int sm_store_replace(struct sm_store *st, const char *label, const struct sm_map *map,
                     struct sm_error *err)
{
    return put_snapshot(st, label, map, false, NULL, err);
}

int sm_store_remove(struct sm_store *st, const char *label, struct sm_error *err)
{
    int64_t id;
    int rc;

    if ((rc = exec_sql(st, "BEGIN IMMEDIATE", "starting the removal", err)))
        return rc;
    id = find_snapshot(st, label, err);
    if (id < 0) {
        rc = (int)id;
        goto out_rollback;
    }
    if (id == 0) {
        rc = no_label(st, label, err);
        goto out_rollback;
    }
    if ((rc = delete_rows(st, id, true, err)))
        goto out_rollback;
    if ((rc = exec_sql(st, "COMMIT", "committing the removal", err)))
        goto out_rollback;
    return 0;
out_rollback:
    rollback(st);
    return rc;
}

int sm_store_list(struct sm_store *st, struct sm_snapshot_info **out, size_t *n,
                  struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    struct sm_snapshot_info *infos = NULL;
    size_t count = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if ((rc = prepare(st,
                      "SELECT s.label, s.created_at, s.updated_at, s.ingests, s.spans, s.traces, "
                      "s.start_ns, s.end_ns, "
                      "(SELECT count(*) FROM nodes WHERE snapshot_id = s.id), "
                      "(SELECT count(*) FROM edges WHERE snapshot_id = s.id), "
                      "(SELECT total(calls) FROM edges WHERE snapshot_id = s.id), "
                      "(SELECT total(errors) FROM edges WHERE snapshot_id = s.id) "
                      "FROM snapshots s ORDER BY s.id",
                      &stmt, err)))
        return rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct sm_snapshot_info *info;

        sm_grow(&infos, &cap, count + 1, sizeof(*infos));
        info = &infos[count++];
        memset(info, 0, sizeof(*info));
        info->label = sm_xstrdup(column_text(stmt, 0) ? column_text(stmt, 0) : "");
        info->created_at = sm_xstrdup(column_text(stmt, 1) ? column_text(stmt, 1) : "");
        info->updated_at = sm_xstrdup(column_text(stmt, 2) ? column_text(stmt, 2) : "");
        info->ingests = column_count(stmt, 3);
        info->spans = column_count(stmt, 4);
        info->traces = column_count(stmt, 5);
        info->start_ns = sqlite3_column_int64(stmt, 6);
        info->end_ns = sqlite3_column_int64(stmt, 7);
        info->nodes = column_count(stmt, 8);
        info->edges = column_count(stmt, 9);
        info->calls = column_total(stmt, 10);
        info->errors = column_total(stmt, 11);
    }
    if (rc != SQLITE_DONE) {
        rc = db_fail(st, err, "listing snapshots");
        sm_snapshot_info_free(infos, count);
        goto out_finalize;
    }
    rc = 0;
    *out = infos;
    *n = count;
out_finalize:
    sqlite3_finalize(stmt);
    return rc;
}

void sm_snapshot_info_free(struct sm_snapshot_info *infos, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(infos[i].label);
        free(infos[i].created_at);
        free(infos[i].updated_at);
    }
    free(infos);
}
