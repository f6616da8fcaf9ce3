/* mapdoc.h: reading the svcmap.map/v1 document back into a map.
 *
 * The writer is the json emitter (sm_emit_json in emit.h). A latency side that carries
 * "sketch" is read back as that sketch, so that documents merge exactly; one without
 * (older documents, pre-aggregated figures) comes back as a summary of the quantiles it
 * printed, and merging it with anything marks the edge latency_estimated and counts it
 * in map->source.estimated_merges. The "why" section (critical-path time per entry,
 * why.h) is read back whole, its sketches included, and merged with sm_why_merge.
 */
#ifndef SVCMAP_MAPDOC_H
#define SVCMAP_MAPDOC_H

#include <stdbool.h>
#include <stddef.h>

#include "svcmap/error.h"
#include "svcmap/ingest.h"
#include "svcmap/map.h"

#define SM_MAP_SCHEMA "svcmap.map/v1"

/* True when the first bytes of a file look like a map document (a UTF-8 byte order mark
 * before it is allowed). */
bool sm_mapdoc_sniff(const char *head, size_t len);

/* Parses a document held in memory into an initialised map, merged into what it holds
 * (sm_map_merge's rules). name is used in error messages. SM_EINPUT with a place when the
 * document is not JSON or not a map document. A bad record (a node, an edge or the source
 * block with a missing or out-of-range value: a negative or fractional count, errors
 * above calls, a latency that is negative, above SM_SKETCH_MAX_MS or out of order, a
 * corrupt sketch, a why entry whose contributors add up to more than its total or whose
 * share sketches do not hold one value per trace) is SM_EINPUT with its line and column when opt is
 * NULL or opt->strict; otherwise it is told to opt->on_skip (may be NULL), counted in
 * map->source.skipped_records and left out. Only opt's strict, on_skip and ctx are used;
 * opt is borrowed for the call. */
int sm_mapdoc_parse(const char *data, size_t len, const char *name,
                    const struct sm_ingest_options *opt, struct sm_map *map, struct sm_error *err);

/* Reads a document from an open input (its head may have been peeked), as
 * sm_mapdoc_parse. */
struct sm_input;
int sm_mapdoc_read_input(struct sm_input *in, const struct sm_ingest_options *opt,
                         struct sm_map *map, struct sm_error *err);

/* Reads a document from a file ("-" is standard input; gzip allowed), as sm_mapdoc_parse. */
int sm_mapdoc_read(const char *path, const struct sm_ingest_options *opt, struct sm_map *map,
                   struct sm_error *err);

#endif
