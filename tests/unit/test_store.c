/* test_store.c: snapshots written to SQLite and read back, merged, listed, removed, migrated.
 *
 * Maps are built in C (typed nodes with attributes, edges with counts, sketches fed known
 * values, document-style summaries, a source block) and compared field by field and bin
 * by bin after a round trip. Merging into an existing label must equal sm_map_merge done
 * in memory. The schema tests drive the database with the sqlite3 API directly: a
 * version-1 database is migrated, a newer one and a file that is not a database are
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "svcmap/map.h"
#include "svcmap/sha256.h"
#include "svcmap/store.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/svcmap-test-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/maps.db", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[200];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A small map: gateway -> payments (rpc, sketched both sides), payments -> postgres
 * (database, client side only), payments -> card-api (external, summary only). scale
 * multiplies the counts so that two maps differ. */
static void build_map(struct sm_map *m, int scale, const char *file)
{
    size_t gw, pay, db, card;
    struct sm_edge *e;
    int i;

    sm_map_init(m);
    gw = sm_map_node(m, SM_NODE_SERVICE, "gateway");
    pay = sm_map_node(m, SM_NODE_SERVICE, "payments");
    db = sm_map_node(m, SM_NODE_DATABASE, "orders");
    card = sm_map_node(m, SM_NODE_EXTERNAL, "card-api.example.com");
    sm_node_set_attr(&m->nodes[gw].namespace_, "shop");
    sm_node_set_attr(&m->nodes[pay].version, "1.4.2");
    sm_node_set_attr(&m->nodes[db].system, "postgresql");
    m->nodes[gw].entry_calls = 100u * (unsigned)scale;

    e = sm_map_edge(m, gw, pay, SM_EDGE_RPC);
    e->calls = 100u * (unsigned)scale;
    e->errors = 3u * (unsigned)scale;
    for (i = 0; i < 100 * scale; i++) {
        sm_sketch_add(&e->client, 10.0 + i * 0.37 * scale);
        sm_sketch_add(&e->server, 8.0 + i * 0.31);
    }
    e = sm_map_edge(m, pay, db, SM_EDGE_DATABASE);
    e->calls = 250u * (unsigned)scale;
    for (i = 0; i < 250 * scale; i++)
        sm_sketch_add(&e->client, 0.5 + (i % 17) * 0.1);
    e = sm_map_edge(m, pay, card, SM_EDGE_EXTERNAL);
    e->calls = 40u * (unsigned)scale;
    e->errors = 1;
    e->client_summary.count = e->calls;
    e->client_summary.min = 50.5;
    e->client_summary.max = 900.25 * scale;
    e->client_summary.mean = 120.125;
    e->client_summary.p50 = 110.0;
    e->client_summary.p90 = 200.0;
    e->client_summary.p95 = 300.0;
    e->client_summary.p99 = 480.0 * scale;
    /* how coarse the estimate is: bucket bounds per quantile, the top one open */
    e->client_summary.bounded = true;
    for (i = 0; i < 4; i++) {
        e->client_summary.lo[i] = 100.0 * i;
        e->client_summary.hi[i] = i == 3 ? INFINITY : 100.0 * (i + 1);
    }
    e->latency_estimated = true;

    sm_map_add_file(m, file);
    m->source.formats = 1u << scale;
    m->source.spans = 1000u * (unsigned)scale;
    m->source.traces = 100u * (unsigned)scale;
    m->source.skipped_records = 2;
    m->source.unresolved_calls = 1;
    m->source.ignored_records = 7u * (unsigned)scale;
    m->source.late_spans = 3u * (unsigned)scale;
    m->source.start_ns = 1700000000000000000LL + scale;
    m->source.end_ns = 1700000060000000000LL + scale;
}

static void assert_sketch_equal(const struct sm_sketch *a, const struct sm_sketch *b)
{
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->zero_count, b->zero_count);
    if (!a->count)
        return;
    assert_true(a->min == b->min);
    assert_true(a->max == b->max);
    assert_true(a->sum_ns == b->sum_ns);
    assert_true(sm_sketch_quantile(a, 0.99) == sm_sketch_quantile(b, 0.99));
    assert_true(sm_sketch_quantile(a, 0.5) == sm_sketch_quantile(b, 0.5));
    /* bins compared over the union of their ranges; leading/trailing zeros may differ */
    {
        int32_t lo = a->offset < b->offset ? a->offset : b->offset;
        int32_t hi_a = a->offset + (int32_t)a->nbins, hi_b = b->offset + (int32_t)b->nbins;
        int32_t hi = hi_a > hi_b ? hi_a : hi_b, k;

        for (k = lo; k < hi; k++) {
            uint64_t ca = k >= a->offset && k < hi_a ? a->bins[k - a->offset] : 0;
            uint64_t cb = k >= b->offset && k < hi_b ? b->bins[k - b->offset] : 0;

            assert_int_equal(ca, cb);
        }
    }
}

static void assert_str_equal_or_null(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

/* Compares a (sorted canonically here, on a copy) with b, which must be sorted. */
static void assert_maps_equal(const struct sm_map *expected, const struct sm_map *got)
{
    struct sm_map a;
    size_t i;

    sm_map_init(&a);
    sm_map_merge(&a, expected);
    sm_map_sort(&a);
    assert_int_equal(a.nnodes, got->nnodes);
    assert_int_equal(a.nedges, got->nedges);
    for (i = 0; i < a.nnodes; i++) {
        assert_string_equal(a.nodes[i].id, got->nodes[i].id);
        assert_int_equal(a.nodes[i].kind, got->nodes[i].kind);
        assert_str_equal_or_null(a.nodes[i].namespace_, got->nodes[i].namespace_);
        assert_str_equal_or_null(a.nodes[i].version, got->nodes[i].version);
        assert_str_equal_or_null(a.nodes[i].system, got->nodes[i].system);
        assert_int_equal(a.nodes[i].entry_calls, got->nodes[i].entry_calls);
    }
    for (i = 0; i < a.nedges; i++) {
        const struct sm_edge *x = &a.edges[i], *y = &got->edges[i];

        assert_int_equal(x->from, y->from);
        assert_int_equal(x->to, y->to);
        assert_int_equal(x->kind, y->kind);
        assert_int_equal(x->calls, y->calls);
        assert_int_equal(x->errors, y->errors);
        assert_int_equal(x->latency_estimated, y->latency_estimated);
        assert_sketch_equal(&x->client, &y->client);
        assert_sketch_equal(&x->server, &y->server);
        assert_memory_equal(&x->client_summary, &y->client_summary, sizeof(x->client_summary));
        assert_memory_equal(&x->server_summary, &y->server_summary, sizeof(x->server_summary));
    }
    assert_int_equal(a.source.nfiles, got->source.nfiles);
    for (i = 0; i < a.source.nfiles; i++)
        assert_string_equal(a.source.files[i], got->source.files[i]);
    assert_int_equal(a.source.formats, got->source.formats);
    assert_int_equal(a.source.spans, got->source.spans);
    assert_int_equal(a.source.traces, got->source.traces);
    assert_int_equal(a.source.skipped_records, got->source.skipped_records);
    assert_int_equal(a.source.unresolved_calls, got->source.unresolved_calls);
    assert_int_equal(a.source.ignored_records, got->source.ignored_records);
    assert_int_equal(a.source.late_spans, got->source.late_spans);
    assert_int_equal(a.source.start_ns, got->source.start_ns);
    assert_int_equal(a.source.end_ns, got->source.end_ns);
    sm_map_release(&a);
}

static void test_round_trip(void **state)
{
    struct sm_store *st = NULL;
    struct sm_map m, got;
    struct sm_error err;
    bool merged = true;

    (void)state;
    sm_error_init(&err);
    build_map(&m, 1, "a.jsonl");
    assert_int_equal(sm_store_open(&st, path, SM_STORE_CREATE, &err), 0);
    assert_int_equal(sm_store_schema_version(st), (int)sm_store_nmigrations);
    assert_int_equal(sm_store_ingest(st, "v1.0", &m, &merged, &err), 0);
    assert_false(merged);
    sm_map_init(&got);
    assert_int_equal(sm_store_load(st, "v1.0", &got, &err), 0);
    assert_maps_equal(&m, &got);
    assert_string_equal(got.nodes[got.edges[0].from].id, "service:gateway");
    sm_map_release(&got);
    sm_store_close(st);

    /* and after reopening: what was committed is on disk */
    assert_int_equal(sm_store_open(&st, path, SM_STORE_READ, &err), 0);
    sm_map_init(&got);
    assert_int_equal(sm_store_load(st, "v1.0", &got, &err), 0);
    assert_maps_equal(&m, &got);
    sm_map_release(&got);
    sm_store_close(st);
    sm_map_release(&m);
}

static void test_merge_into_label(void **state)
{
    struct sm_store *st = NULL;
    struct sm_map a, b, expected, got;
    struct sm_error err;
    bool merged = false;

    (void)state;
    sm_error_init(&err);
    build_map(&a, 1, "a.jsonl");
    build_map(&b, 2, "b.jsonl");
    sm_map_init(&expected);
    sm_map_merge(&expected, &a);
    sm_map_merge(&expected, &b);
    assert_int_equal(sm_store_open(&st, path, SM_STORE_CREATE, &err), 0);
    assert_int_equal(sm_store_ingest(st, "rel", &a, &merged, &err), 0);
    assert_false(merged);
    assert_int_equal(sm_store_ingest(st, "other", &b, NULL, &err), 0);
    assert_int_equal(sm_store_ingest(st, "rel", &b, &merged, &err), 0);
    assert_true(merged);
    sm_map_init(&got);
    assert_int_equal(sm_store_load(st, "rel", &got, &err), 0);
    assert_maps_equal(&expected, &got);
    /* exact: 100 + 200 values on gateway -> payments */
    assert_int_equal(
        got.edges[sm_map_find_edge(&got, sm_map_find_node(&got, SM_NODE_SERVICE, "gateway"),
                                   sm_map_find_node(&got, SM_NODE_SERVICE, "payments"),
                                   SM_EDGE_RPC)]
            .client.count,
        300);
    assert_int_equal(got.source.nfiles, 2);
    sm_map_release(&got);
    /* the other label is untouched */
    sm_map_init(&got);
    assert_int_equal(sm_store_load(st, "other", &got, &err), 0);
    assert_maps_equal(&b, &got);
    sm_map_release(&got);
    sm_store_close(st);
    sm_map_release(&a);
    sm_map_release(&b);
    sm_map_release(&expected);
}

static void test_list_and_remove(void **state)
{
    struct sm_store *st = NULL;
    struct sm_snapshot_info *infos = NULL;
    struct sm_map m, got;
    struct sm_error err;
    size_t n = 0;

    (void)state;
    sm_error_init(&err);
    build_map(&m, 1, "a.jsonl");
    assert_int_equal(sm_store_open(&st, path, SM_STORE_CREATE, &err), 0);
    assert_int_equal(sm_store_list(st, &infos, &n, &err), 0);
    assert_int_equal(n, 0);
    sm_snapshot_info_free(infos, n);
    assert_int_equal(sm_store_ingest(st, "b", &m, NULL, &err), 0);
    assert_int_equal(sm_store_ingest(st, "a", &m, NULL, &err), 0);
    assert_int_equal(sm_store_ingest(st, "a", &m, NULL, &err), 0);
    assert_int_equal(sm_store_list(st, &infos, &n, &err), 0);
    assert_int_equal(n, 2);
    /* creation order */
    assert_string_equal(infos[0].label, "b");
    assert_string_equal(infos[1].label, "a");
    assert_int_equal(infos[0].ingests, 1);
    assert_int_equal(infos[1].ingests, 2);
    assert_int_equal(infos[0].nodes, 4);
    assert_int_equal(infos[0].edges, 3);
    assert_int_equal(infos[0].calls, 390);
    assert_int_equal(infos[1].calls, 780);
    assert_int_equal(infos[1].errors, 8);
    assert_int_equal(infos[1].spans, 2000);
    assert_int_equal(strlen(infos[0].created_at), 24); /* 2026-11-26T13:15:02.123Z */
    assert_int_equal(infos[0].created_at[23], 'Z');
    assert_true(strcmp(infos[1].updated_at, infos[1].created_at) >= 0);
    sm_snapshot_info_free(infos, n);

    assert_int_equal(sm_store_remove(st, "b", &err), 0);
    sm_map_init(&got);
    assert_int_equal(sm_store_load(st, "b", &got, &err), SM_EINPUT);
    assert_non_null(strstr(err.text, "no snapshot labelled 'b'"));
    sm_map_release(&got);
    sm_error_init(&err);
    assert_int_equal(sm_store_remove(st, "b", &err), SM_EINPUT);
    assert_int_equal(sm_store_list(st, &infos, &n, &err), 0);
    assert_int_equal(n, 1);
    sm_snapshot_info_free(infos, n);
    sm_store_close(st);

    /* no row of the removed snapshot is left behind */
    {
        sqlite3 *db;
        sqlite3_stmt *stmt;

        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "SELECT (SELECT count(*) FROM nodes) + "
                                            "(SELECT count(*) FROM edges) + "
                                            "(SELECT count(*) FROM source_files) + "
                                            "(SELECT count(*) FROM latency_summaries)",
                                            -1, &stmt, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
        /* one snapshot: 4 nodes, 3 edges, 1 file and no summary: "a" was ingested twice,
         * so its summary-only side was merged into an estimated sketch */
        assert_int_equal(sqlite3_column_int(stmt, 0), 8);
        sqlite3_finalize(stmt);
        sqlite3_close(db);
    }
    sm_map_release(&m);
}

static void exec_or_fail(sqlite3 *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

static void test_missing_and_foreign_files(void **state)
{
    struct sm_store *st = NULL;
    struct sm_error err;
    char other[160];
    FILE *f;

    (void)state;
    sm_error_init(&err);
    assert_int_equal(sm_store_open(&st, path, SM_STORE_READ, &err), SM_EINPUT);
    assert_null(st);
    assert_string_equal(err.text, "no such database");
    assert_string_equal(err.file, path);
    assert_int_equal(access(path, F_OK), -1); /* not created by a read */

    snprintf(other, sizeof(other), "%s/notes.txt", dir);
    f = fopen(other, "w");
    assert_non_null(f);
    fputs("these are not the tables you are looking for\n", f);
    fclose(f);
    sm_error_init(&err);
    assert_int_equal(sm_store_open(&st, other, SM_STORE_CREATE, &err), SM_EINPUT);
    assert_non_null(strstr(err.text, "not a SQLite database"));

    /* no file name, or SQLite's in-memory name, would store nothing */
    assert_int_equal(sm_store_open(&st, "", SM_STORE_CREATE, &err), SM_EUSAGE);
    assert_int_equal(sm_store_open(&st, ":memory:", SM_STORE_CREATE, &err), SM_EUSAGE);
    assert_null(st);

    /* an empty file is no store to read, but ingest may make it one */
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(sm_store_open(&st, path, SM_STORE_READ, &err), SM_EINPUT);
    assert_non_null(strstr(err.text, "empty"));
    assert_int_equal(sm_store_open(&st, path, SM_STORE_CREATE, &err), 0);
    assert_int_equal(sm_store_schema_version(st), (int)sm_store_nmigrations);
    sm_store_close(st);
}

/* Reads a whole small file into buf; returns its length. */
static size_t slurp(const char *file, char *buf, size_t size)
{
    FILE *f = fopen(file, "rb");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, size, f);
    fclose(f);
    return n;
}

/* Another program's database is refused by every mode and left byte for byte as it
 * was: no tables added, no user_version, no WAL (issue 11 item 9). */
static void test_foreign_database_untouched(void **state)
{
    static char before[65536], after[65536];
    struct sm_store *st = NULL;
    struct sm_error err;
    size_t n, m;
    sqlite3 *db;
    int mode;
    char wal[200];

    (void)state;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_or_fail(db, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);"
                     "INSERT INTO users VALUES (1, 'ada');");
    sqlite3_close(db);
    n = slurp(path, before, sizeof(before));
    for (mode = SM_STORE_READ; mode <= SM_STORE_WRITE; mode++) {
        sm_error_init(&err);
        assert_int_equal(sm_store_open(&st, path, (enum sm_store_mode)mode, &err), SM_EINPUT);
        assert_null(st);
        assert_non_null(strstr(err.text, "not a svcmap store"));
        m = slurp(path, after, sizeof(after));
        assert_int_equal(m, n);
        assert_memory_equal(before, after, n);
    }
    snprintf(wal, sizeof(wal), "%s-wal", path);
    assert_int_equal(access(wal, F_OK), -1);

    /* one that says whose it is by application_id is refused before SQLite opens it */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_or_fail(db, "PRAGMA application_id = 1234");
    sqlite3_close(db);
    assert_int_equal(sm_store_open(&st, path, SM_STORE_CREATE, &err), SM_EINPUT);
    assert_non_null(strstr(err.text, "application_id 0x000004d2"));
}

static void test_newer_schema_refused(void **state)
{
    struct sm_store *st = NULL;
    struct sm_error err;
    sqlite3 *db;

    (void)state;
    sm_error_init(&err);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_or_fail(db, "PRAGMA application_id = 1937138541; PRAGMA user_version = 99");
    sqlite3_close(db);
    assert_int_equal(sm_store_open(&st, path, SM_STORE_READ, &err), SM_ESYSTEM);
    assert_non_null(strstr(err.text, "schema version 99 is newer"));
}

/* A database left at version 1 by an older svcmap is brought up to date, its data kept. */
static void test_migration_from_v1(void **state)
{
    struct sm_store *st = NULL;
    struct sm_snapshot_info *infos = NULL;
    struct sm_error err;
    struct sm_map got;
    sqlite3 *db;
    sqlite3_stmt *stmt;
    size_t n = 0;

    (void)state;
    sm_error_init(&err);
    assert_true(sm_store_nmigrations >= 2);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_or_fail(db, sm_store_migrations[0]);
    exec_or_fail(db, "INSERT INTO snapshots VALUES (1, 'old', '2026-01-01T00:00:00.000Z', "
                     "'2026-01-01T00:00:00.000Z', 1, 0, 10, 2, 0, 0, 0, 0);"
                     "INSERT INTO nodes VALUES (1, 0, 'service', 'a', NULL, NULL, NULL, 5);"
                     "INSERT INTO nodes VALUES (1, 1, 'database', 'b', NULL, NULL, 'redis', 0);"
                     "INSERT INTO edges VALUES (1, 0, 0, 1, 'database', 12, 1, 0, NULL, NULL);"
                     "PRAGMA user_version = 1;");
    sqlite3_close(db);

    /* a read never writes, so it cannot upgrade: it says how to */
    assert_int_equal(sm_store_open(&st, path, SM_STORE_READ, &err), SM_ESYSTEM);
    assert_non_null(strstr(err.text, "upgrades it"));
    assert_int_equal(sm_store_open(&st, path, SM_STORE_WRITE, &err), 0);
    assert_int_equal(sm_store_schema_version(st), (int)sm_store_nmigrations);
    assert_int_equal(sm_store_list(st, &infos, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(infos[0].label, "old");
    assert_int_equal(infos[0].calls, 12);
    sm_snapshot_info_free(infos, n);
    sm_map_init(&got);
    assert_int_equal(sm_store_load(st, "old", &got, &err), 0);
    assert_int_equal(got.nnodes, 2);
    assert_string_equal(got.nodes[0].id, "database:b");
    assert_string_equal(got.nodes[0].system, "redis");
    assert_int_equal(got.nodes[1].entry_calls, 5);
    assert_int_equal(got.edges[0].calls, 12);
    assert_int_equal(got.edges[0].from, 1);
    sm_map_release(&got);
    sm_store_close(st);

    /* migration 2's view is there and WAL is on */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT from_id, to_id, calls FROM edge_list WHERE label = 'old'",
                           -1, &stmt, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "service:a");
    assert_string_equal((const char *)sqlite3_column_text(stmt, 1), "database:b");
    sqlite3_finalize(stmt);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "wal");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

/* A store at version 4 (before the snapshots kept ignored_records and late_spans) still
 * opens for reading without being changed, its snapshots counting 0 of both; a writing
 * open upgrades it, and from then on both counters are kept and merged. */
static void test_version4_store(void **state)
{
    struct sm_store *st = NULL;
    struct sm_error err;
    struct sm_map got, m;
    bool merged = false;
    sqlite3 *db;
    size_t i;

    (void)state;
    sm_error_init(&err);
    assert_true(sm_store_nmigrations >= 5);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    for (i = 0; i < 4; i++)
        exec_or_fail(db, sm_store_migrations[i]);
    exec_or_fail(db, "INSERT INTO snapshots VALUES (1, 'old', '2026-01-01T00:00:00.000Z', "
                     "'2026-01-01T00:00:00.000Z', 1, 0, 10, 2, 0, 0, 0, 0);"
                     "INSERT INTO nodes VALUES (1, 0, 'service', 'a', NULL, NULL, NULL, 5);"
                     "PRAGMA application_id = 1937138541; PRAGMA user_version = 4;");
    sqlite3_close(db);

    assert_int_equal(sm_store_open(&st, path, SM_STORE_READ, &err), 0);
    assert_int_equal(sm_store_schema_version(st), 4);
    sm_map_init(&got);
    assert_int_equal(sm_store_load(st, "old", &got, &err), 0);
    assert_int_equal(got.source.spans, 10);
    assert_int_equal(got.source.ignored_records, 0);
    assert_int_equal(got.source.late_spans, 0);
    sm_map_release(&got);
    sm_store_close(st);

    assert_int_equal(sm_store_open(&st, path, SM_STORE_WRITE, &err), 0);
    assert_int_equal(sm_store_schema_version(st), (int)sm_store_nmigrations);
    build_map(&m, 1, "a.jsonl");
    assert_int_equal(sm_store_ingest(st, "old", &m, &merged, &err), 0);
    assert_true(merged);
    assert_int_equal(sm_store_ingest(st, "old", &m, &merged, &err), 0);
    sm_map_release(&m);
    sm_store_close(st);
    assert_int_equal(sm_store_open(&st, path, SM_STORE_READ, &err), 0);
    sm_map_init(&got);
    assert_int_equal(sm_store_load(st, "old", &got, &err), 0);
    assert_int_equal(got.source.spans, 10 + 2 * 1000);
    assert_int_equal(got.source.ignored_records, 2 * 7);
    assert_int_equal(got.source.late_spans, 2 * 3);
    sm_map_release(&got);
    sm_store_close(st);
}

/* A corrupt sketch blob is reported, not trusted. */
static void test_corrupt_sketch(void **state)
{
    struct sm_store *st = NULL;
    struct sm_error err;
    struct sm_map m, got;
    sqlite3 *db;

    (void)state;
    sm_error_init(&err);
    build_map(&m, 1, "a.jsonl");
    assert_int_equal(sm_store_open(&st, path, SM_STORE_CREATE, &err), 0);
    assert_int_equal(sm_store_ingest(st, "x", &m, NULL, &err), 0);
    sm_store_close(st);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_or_fail(db, "UPDATE edges SET client_sketch = x'ff01' WHERE client_sketch IS NOT NULL");
    sqlite3_close(db);
    assert_int_equal(sm_store_open(&st, path, SM_STORE_READ, &err), 0);
    sm_map_init(&got);
    assert_true(sm_store_load(st, "x", &got, &err) < 0);
    assert_true(err.text[0] != '\0');
    sm_map_release(&got);
    sm_store_close(st);
    sm_map_release(&m);
}

static void sha256_of(const char *text, size_t repeat, char hex[65])
{
    struct sm_sha256 h;
    size_t i;

    sm_sha256_init(&h);
    for (i = 0; i < repeat; i++)
        sm_sha256_update(&h, text, strlen(text));
    sm_sha256_final_hex(&h, hex);
}

/* The digests FIPS 180-4's examples give, and lengths around the padding boundary. */
static void test_sha256(void **state)
{
    char hex[65];

    (void)state;
    sha256_of("", 1, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_of("abc", 1, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    sha256_of("a", 1000000, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* A source whose content a label holds is refused, and nothing is written. */
static void test_duplicate_sources(void **state)
{
    static const char hash_a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static const char hash_b[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const struct sm_store_source a = {"a.json", hash_a}, b = {"b.json", hash_b};
    const struct sm_store_source twice[] = {a, a};
    struct sm_snapshot_info *infos = NULL;
    struct sm_store *st = NULL;
    struct sm_error err;
    struct sm_map m;
    size_t n = 0;

    (void)state;
    sm_error_init(&err);
    build_map(&m, 1, "a.jsonl");
    assert_int_equal(sm_store_open(&st, path, SM_STORE_CREATE, &err), 0);
    assert_int_equal(sm_store_ingest_sources(st, "v1", &m, &a, 1, false, NULL, &err), 0);
    assert_int_equal(sm_store_ingest_sources(st, "v1", &m, &a, 1, false, NULL, &err), SM_EINPUT);
    assert_string_equal(err.file, "a.json");
    assert_non_null(strstr(err.text, "already ingested into 'v1'"));
    assert_int_equal(sm_store_ingest_sources(st, "v1", &m, twice, 2, false, NULL, &err), SM_EINPUT);
    assert_int_equal(sm_store_ingest_sources(st, "v2", &m, &a, 1, false, NULL, &err), 0);
    assert_int_equal(sm_store_ingest_sources(st, "v1", &m, &b, 1, false, NULL, &err), 0);
    assert_int_equal(sm_store_ingest_sources(st, "v1", &m, &a, 1, true, NULL, &err), 0);
    assert_int_equal(sm_store_list(st, &infos, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(infos[0].label, "v1");
    assert_int_equal(infos[0].ingests, 3);
    sm_snapshot_info_free(infos, n);
    /* removing the label forgets its sources */
    assert_int_equal(sm_store_remove(st, "v1", &err), 0);
    assert_int_equal(sm_store_ingest_sources(st, "v1", &m, &a, 1, false, NULL, &err), 0);
    sm_store_close(st);
    sm_map_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_into_label, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_and_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_foreign_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_database_untouched, setup, teardown),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test_setup_teardown(test_duplicate_sources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_from_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_sketch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version4_store, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
