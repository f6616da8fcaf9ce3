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

#include "svcmap/why.h"

#include <errno.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct sm_store {
    sqlite3 *db;
    char *path;
    int version; /* the schema's user_version once open (reads leave old ones as they are) */
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
    /* 4: the content hash of every input ingested into a snapshot, so that ingesting
     * the same file twice (which would double its counts) can be refused. */
    "CREATE TABLE ingested_sources ("
    "  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
    "  sha256 TEXT NOT NULL,"
    "  path TEXT NOT NULL,"
    "  ingested_at TEXT NOT NULL);"
    "CREATE INDEX ingested_sources_by_hash ON ingested_sources (snapshot_id, sha256);",
    /* 5: bad spans left out of records whose other spans were kept (source.skipped_spans). */
    "ALTER TABLE snapshots ADD COLUMN skipped_spans INTEGER NOT NULL DEFAULT 0;",
    /* 6: critical-path time per entry point (why.h): one row per entry, and one per
     * contributor ('node', 'wire'), edge ('edge': id is from, to_id to) and stack
     * ('stack': id is the path, frames joined by U+001F) of an entry. */
    "CREATE TABLE why_entries ("
    "  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
    "  position INTEGER NOT NULL,"
    "  entry TEXT NOT NULL,"
    "  operation TEXT,"
    "  traces INTEGER NOT NULL,"
    "  total_ns INTEGER NOT NULL,"
    "  latency BLOB,"
    "  PRIMARY KEY (snapshot_id, position)) WITHOUT ROWID;"
    "CREATE TABLE why_items ("
    "  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
    "  entry INTEGER NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  what TEXT NOT NULL CHECK (what IN ('node', 'wire', 'edge', 'stack')),"
    "  id TEXT NOT NULL,"
    "  to_id TEXT,"
    "  critical_ns INTEGER NOT NULL,"
    "  share BLOB,"
    "  PRIMARY KEY (snapshot_id, entry, position)) WITHOUT ROWID;",
    /* 7: source counters added to the map later: records of other signals left out
     * (OTLP logs, metrics) and spans that came after their trace was linked. Snapshots
     * written before read 0 for both. */
    ("ALTER TABLE snapshots ADD COLUMN ignored_records INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE snapshots ADD COLUMN late_spans INTEGER NOT NULL DEFAULT 0;"),
};

/* The first schema with snapshots.skipped_spans; a read-only open of an older store
 * reads it as 0. */
#define SKIPPED_SPANS_VERSION 5
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

/* PRAGMA application_id of every svcmap store: "svcm". Stores made before it was set
 * have 0 and are recognised by their `snapshots` table. */
#define STORE_APPLICATION_ID 0x7376636d

/* The oldest schema a read-only open understands (migration 3 added the latency bounds
 * that loading reads); older stores are upgraded by any writing command. */
#define OLDEST_READABLE_VERSION 3

/* The first schema with the why tables; older stores (read-only) have no entries. */
#define WHY_VERSION 6

/* How often a step that met a lock is tried again, a few milliseconds apart, on top of
 * the busy timeout: switching to WAL and the first schema creation can be refused at
 * once with SQLITE_BUSY (no busy handler runs there) when several processes create one
 * database at the same moment. */
#define LOCK_RETRIES 400

static bool is_busy(int rc)
{
    rc &= 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

static void back_off(int attempt)
{
    struct timespec ts = {0, (long)(2 + (attempt * 7 + getpid()) % 23) * 1000000L};

    nanosleep(&ts, NULL);
}

/* What the file holds. */
enum store_kind {
    STORE_EMPTY,   /* no schema at all: a new database */
    STORE_OURS,    /* a svcmap store */
    STORE_FOREIGN, /* another program's database */
};

struct identity {
    int application_id;
    int version;
    int objects; /* rows in sqlite_master */
    bool has_snapshots;
};

static enum store_kind kind_of(const struct identity *id)
{
    if (id->application_id == STORE_APPLICATION_ID)
        return STORE_OURS;
    if (id->application_id == 0 && id->has_snapshots && id->version >= 1)
        return STORE_OURS;
    if (id->application_id == 0 && id->objects == 0 && id->version == 0)
        return STORE_EMPTY;
    return STORE_FOREIGN;
}

/* Reads the identity; returns 0 or the SQLite result code (err not filled). */
static int read_identity(struct sm_store *st, struct identity *id)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    rc = sqlite3_prepare_v2(st->db,
                            "SELECT (SELECT application_id FROM pragma_application_id),"
                            " (SELECT user_version FROM pragma_user_version),"
                            " (SELECT count(*) FROM sqlite_master),"
                            " (SELECT count(*) FROM sqlite_master"
                            "  WHERE type = 'table' AND name = 'snapshots')",
                            -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        id->application_id = sqlite3_column_int(stmt, 0);
        id->version = sqlite3_column_int(stmt, 1);
        id->objects = sqlite3_column_int(stmt, 2);
        id->has_snapshots = sqlite3_column_int(stmt, 3) > 0;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
    return rc;
}

static int identify(struct sm_store *st, struct identity *id, int *sqlite_rc, struct sm_error *err)
{
    int attempt, rc = SQLITE_OK;

    for (attempt = 0; attempt < LOCK_RETRIES; attempt++) {
        rc = read_identity(st, id);
        if (!is_busy(rc))
            break;
        back_off(attempt);
    }
    if (sqlite_rc)
        *sqlite_rc = rc;
    if (rc != SQLITE_OK)
        return db_fail(st, err, "reading the database");
    return 0;
}

static int foreign(struct sm_store *st, const struct identity *id, struct sm_error *err)
{
    if (id->application_id != 0)
        return sm_error_at(err, SM_EINPUT, st->path, 0, 0, -1,
                           "not a svcmap store: another program's database (application_id "
                           "0x%08x); svcmap leaves it alone",
                           (unsigned)id->application_id);
    return sm_error_at(err, SM_EINPUT, st->path, 0, 0, -1,
                       "not a svcmap store: a SQLite database with %d tables, indexes or views "
                       "of its own; svcmap leaves it alone",
                       id->objects);
}

/* One attempt at the schema transaction: under the write lock, look again (another
 * process may have created or upgraded the store meanwhile), apply what is missing and
 * mark the file as a svcmap store. Returns 0, or the SQLite code of a busy step in
 * *busy_rc (the caller retries), or a negative status. */
static int migrate_once(struct sm_store *st, int *busy_rc, struct sm_error *err)
{
    struct identity id = {0, 0, 0, false};
    char sql[96];
    size_t i;
    int rc;

    *busy_rc = 0;
    rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (is_busy(rc)) {
        *busy_rc = rc;
        return 0;
    }
    if (rc != SQLITE_OK)
        return db_fail(st, err, "starting the schema migration");
    rc = read_identity(st, &id);
    if (rc != SQLITE_OK) {
        if (is_busy(rc))
            *busy_rc = rc;
        else
            rc = db_fail(st, err, "reading the database");
        goto out_rollback;
    }
    if (kind_of(&id) == STORE_FOREIGN) {
        rc = foreign(st, &id, err);
        goto out_rollback;
    }
    if (id.version > (int)sm_store_nmigrations) {
        rc = sm_error_at(err, SM_ESYSTEM, st->path, 0, 0, -1,
                         "database schema version %d is newer than this svcmap knows (%zu)",
                         id.version, sm_store_nmigrations);
        goto out_rollback;
    }
    for (i = (size_t)id.version; i < sm_store_nmigrations; i++) {
        char what[64];

        snprintf(what, sizeof(what), "applying schema migration %zu", i + 1);
        if ((rc = exec_sql(st, sm_store_migrations[i], what, err)))
            goto out_rollback;
    }
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu; PRAGMA application_id = %d",
             sm_store_nmigrations, STORE_APPLICATION_ID);
    if ((rc = exec_sql(st, sql, "setting the schema version", err)))
        goto out_rollback;
    rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
    if (is_busy(rc))
        *busy_rc = rc;
    else
        rc = db_fail(st, err, "committing the schema migration");
out_rollback:
    rollback(st);
    return *busy_rc ? 0 : rc;
}

/* Brings the schema up to date: all pending migrations, user_version and
 * application_id in one transaction, tried again while other processes hold the lock. */
static int migrate(struct sm_store *st, struct sm_error *err)
{
    int attempt, rc, busy_rc = 0;

    for (attempt = 0; attempt < LOCK_RETRIES; attempt++) {
        rc = migrate_once(st, &busy_rc, err);
        if (rc || !busy_rc)
            return rc;
        back_off(attempt);
    }
    return sm_error_at(err, SM_ESYSTEM, st->path, 0, 0, -1,
                       "creating the schema: %s (other processes kept it locked)",
                       sqlite3_errstr(busy_rc));
}

/* Switches the database to WAL (a no-op when it already is), tried again while other
 * processes hold locks, and checks that it took. */
static int use_wal(struct sm_store *st, struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int attempt, rc = SQLITE_OK;
    bool wal = false;

    for (attempt = 0; attempt < LOCK_RETRIES; attempt++) {
        rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(stmt);
            if (rc == SQLITE_ROW) {
                const char *mode = (const char *)sqlite3_column_text(stmt, 0);

                wal = mode && !sm_strcasecmp(mode, "wal");
                rc = SQLITE_OK;
            }
        }
        sqlite3_finalize(stmt);
        stmt = NULL;
        if (!is_busy(rc))
            break;
        back_off(attempt);
    }
    if (rc != SQLITE_OK)
        return db_fail(st, err, "switching to WAL");
    if (!wal)
        return sm_error_at(err, SM_ESYSTEM, st->path, 0, 0, -1,
                           "switching to WAL: the database stayed in another journal mode");
    return exec_sql(st, "PRAGMA synchronous = FULL", "setting synchronous", err);
}

/* The folder of path ("." for a bare name). Caller frees. */
static char *folder_of(const char *path)
{
    char *dir = sm_xstrdup(path), *slash = strrchr(dir, '/');

    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    return dir;
}

/* True when the database and the folder its -wal and -shm files go in are writable. */
static bool writable(const char *path)
{
    char *dir = folder_of(path);
    bool ok = access(path, W_OK) == 0 && access(dir, W_OK) == 0;

    free(dir);
    return ok;
}

/* "file:PATH" with the URI's special characters escaped and an empty authority before
 * an absolute path, so that "//host/x" is a path and not an authority; query is
 * appended as is ("" or "?immutable=1"). Every open goes through a URI: Debian's SQLite
 * reads plain names as URIs too (SQLITE_USE_URI), so "file:x?mode=memory" would
 * otherwise not be the file it names. Caller frees. */
static char *path_uri(const char *path, const char *query)
{
    struct sm_buf b;
    const char *p;

    sm_buf_init(&b);
    sm_buf_adds(&b, path[0] == '/' ? "file://" : "file:");
    for (p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            sm_buf_printf(&b, "%%%02X", (unsigned char)*p);
        else
            sm_buf_addc(&b, *p);
    }
    sm_buf_adds(&b, query);
    return b.data;
}

/* Looks at the file before SQLite does, so that nothing is opened, let alone written,
 * unless it is missing, empty, or a SQLite database that may be ours. */
static int check_file(const char *path, enum sm_store_mode mode, struct sm_error *err)
{
    static const char magic[16] = "SQLite format 3";
    unsigned char head[100];
    struct stat sb;
    uint32_t app_id;
    size_t n = 0;
    FILE *f;

    if (stat(path, &sb) != 0) {
        if (errno == ENOENT && mode == SM_STORE_CREATE)
            return 0;
        if (errno == ENOENT)
            return sm_error_at(err, SM_EINPUT, path, 0, 0, -1, "no such database");
        return sm_error_at(err, SM_EINPUT, path, 0, 0, -1, "cannot open the database: %s",
                           strerror(errno));
    }
    if (!S_ISREG(sb.st_mode))
        return sm_error_at(err, SM_EINPUT, path, 0, 0, -1,
                           "not a svcmap store: not a regular file");
    if (sb.st_size == 0)
        return 0;
    f = fopen(path, "rb");
    if (!f)
        return sm_error_at(err, SM_EINPUT, path, 0, 0, -1, "cannot open the database: %s",
                           strerror(errno));
    n = fread(head, 1, sizeof(head), f);
    fclose(f);
    if (n < sizeof(head) || memcmp(head, magic, sizeof(magic)))
        return sm_error_at(err, SM_EINPUT, path, 0, 0, -1,
                           "not a svcmap store: not a SQLite database");
    app_id =
        (uint32_t)head[68] << 24 | (uint32_t)head[69] << 16 | (uint32_t)head[70] << 8 | head[71];
    if (app_id != 0 && app_id != STORE_APPLICATION_ID)
        return sm_error_at(err, SM_EINPUT, path, 0, 0, -1,
                           "not a svcmap store: another program's database (application_id "
                           "0x%08x); svcmap leaves it alone",
                           (unsigned)app_id);
    return 0;
}

/* True when PATH-wal holds frames: committed changes not yet in the database file. */
static bool wal_has_frames(const char *path)
{
    char *wal = sm_xmalloc(strlen(path) + 5);
    struct stat sb;
    bool frames;

    sprintf(wal, "%s-wal", path);
    frames = stat(wal, &sb) == 0 && sb.st_size > 32;
    free(wal);
    return frames;
}

static int open_db(struct sm_store *st, const char *query, int flags, struct sm_error *err)
{
    char *uri = path_uri(st->path, query);
    int rc;

    sqlite3_close(st->db);
    st->db = NULL;
    rc = sqlite3_open_v2(uri, &st->db, flags | SQLITE_OPEN_URI, NULL);
    free(uri);
    if (rc != SQLITE_OK)
        return st->db
                   ? db_fail(st, err, "cannot open the database")
                   : sm_error_at(err, SM_ESYSTEM, st->path, 0, 0, -1, "cannot open the database");
    /* before the first statement: several processes may be creating it right now */
    sqlite3_busy_timeout(st->db, 10000);
    return 0;
}

/* A read-only open of a store nobody here may write. SQLite reads a WAL database
 * read-only when it can use the -shm file; when it cannot even create one (a read-only
 * folder with no -shm in it) the database file alone is complete only if the -wal file
 * holds no frames: then it is opened as immutable, and otherwise the reader is told why
 * it cannot read rather than shown stale snapshots. */
static int open_read_only(struct sm_store *st, struct identity *id, struct sm_error *err)
{
    int rc, sqlite_rc = 0;
    char *dir;

    if ((rc = open_db(st, "", SQLITE_OPEN_READONLY, err)))
        return rc;
    rc = identify(st, id, &sqlite_rc, err);
    if (rc == 0)
        return 0;
    sqlite_rc &= 0xff;
    if (sqlite_rc != SQLITE_READONLY && sqlite_rc != SQLITE_CANTOPEN)
        return rc;
    if (wal_has_frames(st->path)) {
        dir = folder_of(st->path);
        rc = sm_error_at(err, SM_ESYSTEM, st->path, 0, 0, -1,
                         "cannot read the changes committed in its -wal file: that needs the "
                         "-shm file, which cannot be created in '%s' without write access "
                         "(open it once with write access, or copy the database, -wal "
                         "included)",
                         dir);
        free(dir);
        return rc;
    }
    sm_error_init(err);
    if ((rc = open_db(st, "?immutable=1", SQLITE_OPEN_READONLY, err)))
        return rc;
    return identify(st, id, NULL, err);
}

int sm_store_open(struct sm_store **out, const char *path, enum sm_store_mode mode,
                  struct sm_error *err)
{
    struct sm_store *st;
    struct identity id = {0, 0, 0, false};
    enum store_kind kind;
    int rc;

    *out = NULL;
    if (!*path)
        return sm_error_set(err, SM_EUSAGE, "the database path is empty");
    if (!strcmp(path, ":memory:"))
        return sm_error_set(err, SM_EUSAGE,
                            "':memory:' is not kept anywhere; give the database a file name");
    if ((rc = check_file(path, mode, err)))
        return rc;
    st = sm_xcalloc(1, sizeof(*st));
    st->path = sm_xstrdup(path);
    if (mode == SM_STORE_READ && !writable(path)) {
        if ((rc = open_read_only(st, &id, err)))
            goto out_close;
    } else {
        if ((rc = open_db(
                 st, "", SQLITE_OPEN_READWRITE | (mode == SM_STORE_CREATE ? SQLITE_OPEN_CREATE : 0),
                 err)) ||
            (rc = identify(st, &id, NULL, err)))
            goto out_close;
    }
    kind = kind_of(&id);
    if (kind == STORE_FOREIGN) {
        rc = foreign(st, &id, err);
        goto out_close;
    }
    if (id.version > (int)sm_store_nmigrations) {
        rc = sm_error_at(err, SM_ESYSTEM, st->path, 0, 0, -1,
                         "database schema version %d is newer than this svcmap knows (%zu)",
                         id.version, sm_store_nmigrations);
        goto out_close;
    }
    if (kind == STORE_EMPTY && mode != SM_STORE_CREATE) {
        rc = sm_error_at(err, SM_EINPUT, st->path, 0, 0, -1,
                         "not a svcmap store yet: the file is empty ('svcmap store ingest' "
                         "creates one)");
        goto out_close;
    }
    if (mode == SM_STORE_READ) {
        /* a read never writes: no WAL switch, no migration, no application_id */
        if (id.version < OLDEST_READABLE_VERSION) {
            rc = sm_error_at(err, SM_ESYSTEM, st->path, 0, 0, -1,
                             "database schema version %d is older than this svcmap reads "
                             "(%d); a writing command (store ingest, store rm) upgrades it",
                             id.version, OLDEST_READABLE_VERSION);
            goto out_close;
        }
        st->version = id.version;
        *out = st;
        return 0;
    }
    if ((rc = use_wal(st, err)))
        goto out_close;
    if ((id.version < (int)sm_store_nmigrations || id.application_id != STORE_APPLICATION_ID) &&
        (rc = migrate(st, err)))
        goto out_close;
    st->version = (int)sm_store_nmigrations;
    *out = st;
    return 0;
out_close:
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

/* The first schema with the snapshots' ignored_records and late_spans columns; a store
 * opened read-only at an older version has none (its snapshots counted none). */
#define VERSION_SOURCE_COUNTS 7

static int load_source(struct sm_store *st, int64_t id, struct sm_map *map, struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st,
                      st->version >= VERSION_SOURCE_COUNTS
                          ? "SELECT formats, spans, traces, skipped_records, unresolved_calls, "
                            "start_ns, end_ns, skipped_spans, ignored_records, late_spans "
                            "FROM snapshots WHERE id = ?"
                      : st->version >= SKIPPED_SPANS_VERSION
                          ? "SELECT formats, spans, traces, skipped_records, unresolved_calls, "
                            "start_ns, end_ns, skipped_spans, 0, 0 FROM snapshots WHERE id = ?"
                          : "SELECT formats, spans, traces, skipped_records, unresolved_calls, "
                            "start_ns, end_ns, 0, 0, 0 FROM snapshots WHERE id = ?",
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
    map->source.skipped_spans = column_count(stmt, 7);
    map->source.ignored_records = column_count(stmt, 8);
    map->source.late_spans = column_count(stmt, 9);
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

/* The items of the why entries: contributors, edges and stacks. */
static int load_why_items(struct sm_store *st, int64_t id, struct sm_map *map, struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st,
                      "SELECT entry, what, id, to_id, critical_ns, share FROM why_items "
                      "WHERE snapshot_id = ? ORDER BY entry, position",
                      &stmt, err)))
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t entry = sqlite3_column_int64(stmt, 0);
        const char *what = column_text(stmt, 1), *item = column_text(stmt, 2);
        const char *to = column_text(stmt, 3);
        uint64_t ns = column_count(stmt, 4);
        struct sm_why_entry *e;
        enum sm_why_kind kind;

        if (entry < 0 || (uint64_t)entry >= map->nwhy || !what || !item) {
            rc = corrupt(st, err, "why item of no entry");
            goto out_finalize;
        }
        e = &map->why[entry];
        if (!sm_why_kind_parse(what, &kind)) {
            struct sm_why_part *p = sm_why_part(e, item, kind);

            p->critical_ns = ns;
            if ((rc = load_sketch(st, stmt, 5, p->share, err)))
                goto out_finalize;
            if (p->share->count != e->traces) {
                rc = corrupt(st, err, "why contributor with a share per trace missing");
                goto out_finalize;
            }
        } else if (!strcmp(what, "edge") && to) {
            sm_why_edge(e, item, to)->critical_ns = ns;
        } else if (!strcmp(what, "stack")) {
            sm_why_stack(e, item)->critical_ns = ns;
        } else {
            rc = corrupt(st, err, "why item of an unknown kind");
            goto out_finalize;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : db_fail(st, err, "reading why items");
out_finalize:
    sqlite3_finalize(stmt);
    return rc;
}

static int load_why(struct sm_store *st, int64_t id, struct sm_map *map, struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if (sm_store_schema_version(st) < WHY_VERSION)
        return 0;
    if ((rc = prepare(st,
                      "SELECT position, entry, operation, traces, total_ns, latency "
                      "FROM why_entries WHERE snapshot_id = ? ORDER BY position",
                      &stmt, err)))
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        size_t before = map->nwhy;
        struct sm_why_entry *e;

        if (!column_text(stmt, 1)) {
            rc = corrupt(st, err, "why entry without a name");
            goto out_finalize;
        }
        e = sm_why_entry(map, column_text(stmt, 1), column_text(stmt, 2));
        if (map->nwhy != before + 1 || sqlite3_column_int64(stmt, 0) != (int64_t)before) {
            rc = corrupt(st, err, "why entry positions out of order");
            goto out_finalize;
        }
        e->traces = column_count(stmt, 3);
        e->total_ns = column_count(stmt, 4);
        if ((rc = load_sketch(st, stmt, 5, e->latency, err)))
            goto out_finalize;
    }
    rc = rc == SQLITE_DONE ? 0 : db_fail(st, err, "reading why entries");
out_finalize:
    sqlite3_finalize(stmt);
    if (!rc)
        rc = load_why_items(st, id, map, err);
    return rc;
}

static int load_snapshot(struct sm_store *st, int64_t id, struct sm_map *map, struct sm_error *err)
{
    int rc;

    if ((rc = load_source(st, id, map, err)) || (rc = load_nodes(st, id, map, err)) ||
        (rc = load_edges(st, id, map, err)) || (rc = load_summaries(st, id, map, err)) ||
        (rc = load_why(st, id, map, err)))
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
    static const char *const tables[] = {"latency_summaries", "edges",     "nodes",
                                         "source_files",      "why_items", "why_entries"};
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
                     "unresolved_calls = ?6, start_ns = ?7, end_ns = ?8, skipped_spans = ?9, "
                     "ignored_records = ?10, late_spans = ?11 WHERE id = ?1",
                     &stmt, err);
    else
        rc = prepare(st,
                     "INSERT INTO snapshots (label, created_at, updated_at, ingests, formats, "
                     "spans, traces, skipped_records, unresolved_calls, start_ns, end_ns, "
                     "skipped_spans, ignored_records, late_spans) "
                     "VALUES (?1, " NOW_SQL ", " NOW_SQL ", 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                     "?10, ?11)",
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
    sqlite3_bind_int64(stmt, 9, count_value(src->skipped_spans));
    sqlite3_bind_int64(stmt, 10, count_value(src->ignored_records));
    sqlite3_bind_int64(stmt, 11, count_value(src->late_spans));
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

static int write_why_item(struct sm_store *st, sqlite3_stmt *stmt, int64_t id, size_t entry,
                          size_t position, const char *what, const char *item, const char *to,
                          uint64_t ns, const struct sm_sketch *share, struct sm_error *err)
{
    unsigned char *blob = NULL;
    int rc;

    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)entry);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)position);
    sqlite3_bind_text(stmt, 4, what, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, item, -1, SQLITE_STATIC);
    bind_text_or_null(stmt, 6, to);
    sqlite3_bind_int64(stmt, 7, count_value(ns));
    if (share)
        bind_sketch(stmt, 8, share, &blob);
    else
        sqlite3_bind_null(stmt, 8);
    rc = step_done(st, stmt, "writing why items", err);
    free(blob);
    return rc;
}

static int write_why(struct sm_store *st, int64_t id, const struct sm_map *map,
                     struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL, *item = NULL;
    size_t i, k, pos;
    int rc;

    if ((rc = prepare(st,
                      "INSERT INTO why_entries (snapshot_id, position, entry, operation, "
                      "traces, total_ns, latency) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      &stmt, err)))
        return rc;
    if ((rc = prepare(st,
                      "INSERT INTO why_items (snapshot_id, entry, position, what, id, to_id, "
                      "critical_ns, share) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      &item, err)))
        goto out_finalize;
    for (i = 0; i < map->nwhy && !rc; i++) {
        const struct sm_why_entry *e = &map->why[i];
        unsigned char *latency = NULL;

        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)i);
        sqlite3_bind_text(stmt, 3, e->entry, -1, SQLITE_STATIC);
        bind_text_or_null(stmt, 4, e->operation);
        sqlite3_bind_int64(stmt, 5, count_value(e->traces));
        sqlite3_bind_int64(stmt, 6, count_value(e->total_ns));
        bind_sketch(stmt, 7, e->latency, &latency);
        rc = step_done(st, stmt, "writing why entries", err);
        free(latency);
        pos = 0;
        for (k = 0; k < e->nparts && !rc; k++)
            rc = write_why_item(st, item, id, i, pos++, sm_why_kind_name(e->parts[k].kind),
                                e->parts[k].id, NULL, e->parts[k].critical_ns, e->parts[k].share,
                                err);
        for (k = 0; k < e->nedges && !rc; k++)
            rc = write_why_item(st, item, id, i, pos++, "edge", e->edges[k].from, e->edges[k].to,
                                e->edges[k].critical_ns, NULL, err);
        for (k = 0; k < e->nstacks && !rc; k++)
            rc = write_why_item(st, item, id, i, pos++, "stack", e->stacks[k].path, NULL,
                                e->stacks[k].critical_ns, NULL, err);
    }
out_finalize:
    sqlite3_finalize(item);
    sqlite3_finalize(stmt);
    return rc;
}

/* SM_EINPUT when a source's content is already in snapshot id (0: none yet) or comes
 * twice in sources. */
static int check_duplicates(struct sm_store *st, int64_t id, const char *label,
                            const struct sm_store_source *sources, size_t nsources,
                            struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    size_t i, j;
    int rc = 0;

    for (i = 0; i < nsources; i++) {
        for (j = 0; j < i; j++) {
            if (!strcmp(sources[i].sha256, sources[j].sha256))
                return sm_error_at(err, SM_EINPUT, sources[i].path, 0, 0, -1,
                                   "same content as '%s' given before it: ingesting it twice "
                                   "would double its counts (--allow-duplicate to do it anyway)",
                                   sources[j].path);
        }
    }
    if (id == 0 || nsources == 0)
        return 0;
    if ((rc = prepare(st,
                      "SELECT path, ingested_at FROM ingested_sources "
                      "WHERE snapshot_id = ? AND sha256 = ? LIMIT 1",
                      &stmt, err)))
        return rc;
    for (i = 0; i < nsources && rc == 0; i++) {
        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_text(stmt, 2, sources[i].sha256, -1, SQLITE_STATIC);
        switch (sqlite3_step(stmt)) {
        case SQLITE_ROW:
            rc = sm_error_at(err, SM_EINPUT, sources[i].path, 0, 0, -1,
                             "already ingested into '%s' (as '%s' at %s): ingesting it again "
                             "would double its counts (--allow-duplicate to do it anyway)",
                             label, column_text(stmt, 0), column_text(stmt, 1));
            break;
        case SQLITE_DONE:
            break;
        default:
            rc = db_fail(st, err, "looking up ingested sources");
        }
    }
    sqlite3_finalize(stmt);
    return rc;
}

static int record_sources(struct sm_store *st, int64_t id, const struct sm_store_source *sources,
                          size_t nsources, struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    size_t i;
    int rc;

    if (nsources == 0)
        return 0;
    if ((rc = prepare(st,
                      "INSERT INTO ingested_sources (snapshot_id, sha256, path, ingested_at) "
                      "VALUES (?, ?, ?, " NOW_SQL ")",
                      &stmt, err)))
        return rc;
    for (i = 0; i < nsources && rc == 0; i++) {
        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_text(stmt, 2, sources[i].sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, sources[i].path, -1, SQLITE_STATIC);
        rc = step_done(st, stmt, "recording an ingested source", err);
    }
    sqlite3_finalize(stmt);
    return rc;
}

/* Ingest (merge into the label) and replace (the label becomes map) share one
 * transaction shape. */
static int put_snapshot(struct sm_store *st, const char *label, const struct sm_map *map,
                        bool merge, const struct sm_store_source *sources, size_t nsources,
                        bool allow_duplicate, bool *merged, struct sm_error *err)
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
    if (!allow_duplicate && (rc = check_duplicates(st, id, label, sources, nsources, err)))
        goto out_rollback;
    if (existed && merge && (rc = load_snapshot(st, id, &snap, err)))
        goto out_rollback;
    /* merging into an empty map is an exact copy, so both cases take one path */
    sm_map_merge(&snap, map);
    sm_map_sort(&snap);
    if (existed && (rc = delete_rows(st, id, false, err)))
        goto out_rollback;
    if ((rc = write_snapshot_row(st, &id, label, &snap, err)) ||
        (rc = write_files(st, id, &snap, err)) || (rc = write_nodes(st, id, &snap, err)) ||
        (rc = write_edges(st, id, &snap, err)) || (rc = write_why(st, id, &snap, err)) ||
        (rc = record_sources(st, id, sources, nsources, err)))
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
    return put_snapshot(st, label, map, true, NULL, 0, true, merged, err);
}

int sm_store_ingest_sources(struct sm_store *st, const char *label, const struct sm_map *map,
                            const struct sm_store_source *sources, size_t nsources,
                            bool allow_duplicate, bool *merged, struct sm_error *err)
{
    return put_snapshot(st, label, map, true, sources, nsources, allow_duplicate, merged, err);
}

int sm_store_replace(struct sm_store *st, const char *label, const struct sm_map *map,
                     struct sm_error *err)
{
    return put_snapshot(st, label, map, false, NULL, 0, true, NULL, err);
}

static int forget_sources(struct sm_store *st, int64_t id, struct sm_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if ((rc = prepare(st, "DELETE FROM ingested_sources WHERE snapshot_id = ?", &stmt, err)))
        return rc;
    sqlite3_bind_int64(stmt, 1, id);
    rc = step_done(st, stmt, "deleting a snapshot", err);
    sqlite3_finalize(stmt);
    return rc;
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
    if ((rc = forget_sources(st, id, err)) || (rc = delete_rows(st, id, true, err)))
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
