/* store.h: map snapshots by label in a SQLite database, for comparing releases.
 *
 * A snapshot keeps everything a map holds: nodes with their attributes, edges with
 * counts, serialized latency sketches (so that more traces merge into a snapshot
 * exactly) and summaries, and the source block (files, formats, window, counters).
 * The schema is versioned with PRAGMA user_version and brought up to date by a writing
 * open, applying the migrations in sm_store_migrations in order, in one transaction. The
 * database runs in WAL mode; every change is one IMMEDIATE transaction, so a process
 * killed at any moment leaves the database as it was before the change.
 */
#ifndef SVCMAP_STORE_H
#define SVCMAP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/error.h"
#include "svcmap/map.h"

struct sm_store;

/* The schema's history: migration i (0-based) takes user_version i to i + 1. */
extern const char *const sm_store_migrations[];
extern const size_t sm_store_nmigrations;

enum sm_store_mode {
    SM_STORE_READ = 0, /* read only: the store must exist; nothing is ever written */
    SM_STORE_CREATE,   /* ingest: created when missing or empty, upgraded when older */
    SM_STORE_WRITE,    /* changes (rm): the store must exist; upgraded when older */
};

/* Opens the database at path. Every svcmap store is marked with PRAGMA application_id
 * ("svcm"; stores from before the mark are known by their tables). A file that is not
 * one (not SQLite, or another program's database) is SM_EINPUT and is never opened for
 * writing; a missing or empty file is SM_EINPUT unless mode is SM_STORE_CREATE; "" and
 * ":memory:" are SM_EUSAGE. SM_STORE_READ never writes: no WAL switch, no migration
 * (schemas older than 3 are refused with a hint); where the database or its folder is
 * not writable it is opened read-only, still reading committed changes from the WAL,
 * and when that is impossible (no -shm file can be made) it says so instead of showing
 * stale data. The other modes switch to WAL and migrate in one transaction, waiting
 * for and retrying against other processes that create or open the store at the same
 * moment. A schema newer than this svcmap knows is SM_ESYSTEM. *out is owned by the
 * caller: sm_store_close. */
int sm_store_open(struct sm_store **out, const char *path, enum sm_store_mode mode,
                  struct sm_error *err);
/* Closes the database; NULL is fine. */
void sm_store_close(struct sm_store *st);

/* The schema version of the open database (PRAGMA user_version). */
int sm_store_schema_version(struct sm_store *st);

/* Stores map under label in one transaction. A label that exists already is merged:
 * the snapshot is loaded, map is merged into it (sm_map_merge) and the result replaces
 * it, all inside the same transaction. *merged (may be NULL) tells which happened. */
int sm_store_ingest(struct sm_store *st, const char *label, const struct sm_map *map, bool *merged,
                    struct sm_error *err);

/* Stores map under label in one transaction, replacing what the label held (a
 * receiver rewriting its running snapshot: a crash leaves the old one or the new). */
int sm_store_replace(struct sm_store *st, const char *label, const struct sm_map *map,
                     struct sm_error *err);

/* An input file of an ingest, known by its content. */
struct sm_store_source {
    const char *path;   /* borrowed: as the user gave it, for messages */
    const char *sha256; /* borrowed: 64 lowercase hex digits of the file's bytes */
};

/* sm_store_ingest that also records each source's content hash in the snapshot. Unless
 * allow_duplicate, a source whose content the label already holds, or that comes twice
 * in sources, is SM_EINPUT naming it (its counts would be doubled), and nothing is
 * written. sm_store_ingest is this with no sources. */
int sm_store_ingest_sources(struct sm_store *st, const char *label, const struct sm_map *map,
                            const struct sm_store_source *sources, size_t nsources,
                            bool allow_duplicate, bool *merged, struct sm_error *err);

/* Loads the snapshot label into an initialised, empty map (sorted canonically).
 * An unknown label is SM_EINPUT. */
int sm_store_load(struct sm_store *st, const char *label, struct sm_map *map, struct sm_error *err);

/* Removes the snapshot label; an unknown label is SM_EINPUT. */
int sm_store_remove(struct sm_store *st, const char *label, struct sm_error *err);

struct sm_snapshot_info {
    char *label;      /* owned */
    char *created_at; /* owned: RFC 3339 UTC, e.g. "2026-11-26T13:15:02.123Z" */
    char *updated_at; /* owned: time of the last ingest */
    uint64_t ingests; /* how many ingests made it */
    uint64_t nodes, edges, calls, errors;
    uint64_t spans, traces;
    int64_t start_ns, end_ns; /* source window, 0: unknown */
};

/* Every snapshot, by label. *out is owned by the caller: sm_snapshot_info_free. */
int sm_store_list(struct sm_store *st, struct sm_snapshot_info **out, size_t *n,
                  struct sm_error *err);
void sm_snapshot_info_free(struct sm_snapshot_info *infos, size_t n);

#endif
