/* mapdoc.h: reading the svcmap.map/v1 document back into a map.
 *
 * The writer is the json emitter (sm_emit_json in emit.h). A map read from a document
 * carries latency summaries (the quantiles it printed), not sketches.
 */
#ifndef SVCMAP_MAPDOC_H
#define SVCMAP_MAPDOC_H

#include <stdbool.h>
#include <stddef.h>

#include "svcmap/error.h"
#include "svcmap/map.h"

#define SM_MAP_SCHEMA "svcmap.map/v1"

/* True when the first bytes of a file look like a map document. */
bool sm_mapdoc_sniff(const char *head, size_t len);

/* Parses a document held in memory into an initialised map (added to what it holds).
 * name is used in error messages. SM_EINPUT with a place on malformed documents. */
int sm_mapdoc_parse(const char *data, size_t len, const char *name, struct sm_map *map,
                    struct sm_error *err);

/* Reads a document from a file (gzip allowed). */
int sm_mapdoc_read(const char *path, struct sm_map *map, struct sm_error *err);

#endif
