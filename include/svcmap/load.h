/* load.h: inputs -> map, the one road in.
 *
 * sm_load_map takes what a user names on the command line (files, "-" for standard
 * input, or labels of snapshots in a store) and returns one map with its source block
 * filled: every file is opened once, sniffed from a buffered head (pipes included) by
 * the format table (format.h), read by its row, and trace spans of every file go
 * through one linker, so a trace split over elements, files or formats links as one.
 * Policy lives here, not in the command line: --strict, the limits, time bounds, and
 * every skipped record (a bad record, or a trace over --max-trace-spans) goes through
 * the on_skip callback.
 */
#ifndef SVCMAP_LOAD_H
#define SVCMAP_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "svcmap/error.h"
#include "svcmap/ingest.h"
#include "svcmap/map.h"

struct sm_load_options {
    /* How files are read: format (SM_FORMAT_UNKNOWN: sniffed per file), strict,
     * limits, since/until, threads, and the on_skip, on_ignored and on_progress
     * callbacks with their ctx. */
    struct sm_ingest_options read;
    /* A store database: an argument that is a label there is that snapshot; one that
     * is not, but names an existing file, is read as a file. NULL: files only. */
    const char *db;
    bool by_operation;      /* nodes per (service, operation) */
    size_t max_trace_spans; /* 0: SM_DEFAULT_MAX_TRACE_SPANS */
    /* In (0, 100): each why entry keeps only its slowest slowest_pct % of traces
     * (sm_link_options.slowest_pct). Needs per-trace figures, which only trace files
     * have: a map document, a pre-aggregated input or a store label is SM_EUSAGE. */
    double slowest_pct;
    /* Skip the critical-path walk (sm_link_options.no_critical): the map gets no "why"
     * section. For measuring what the walk costs only (docs/performance.md), not a user
     * option: set from the environment (SVCMAP_CRITICAL=off) by sm_load_options_init. */
    bool no_critical;
};

/* Defaults: detect, not strict, default limits, no bounds, one thread, no store, no
 * callbacks, the critical-path walk unless SVCMAP_CRITICAL=off. Allocates nothing. */
void sm_load_options_init(struct sm_load_options *opt);

/* Loads args[0..nargs) into map (initialised; added to). No arguments reads standard
 * input. Returns 0, or a negative status with err naming the file and place: SM_EINPUT
 * for bad input (or, with strict, the first bad record or oversized trace), SM_EUSAGE,
 * SM_ESYSTEM. The map is sorted on success. */
int sm_load_map(const char *const *args, size_t nargs, const struct sm_load_options *opt,
                struct sm_map *map, struct sm_error *err);

#endif
