/* why_report.h: writers of `svcmap why`: where each entry point's time goes.
 *
 * The model is the map's why entries (why.h); a report is a selection of them. Each
 * writer appends its whole document to a buffer: a table for people (terminal-escaped),
 * Markdown (escaped for Markdown), JSON (schema svcmap.why/v1) and folded stacks
 * (`frontend;api-gateway;database:inventory 15137`, one line per stack, the value in
 * microseconds of critical time summed over the entry's traces), which speedscope,
 * inferno and flamegraph.pl read.
 */
#ifndef SVCMAP_WHY_REPORT_H
#define SVCMAP_WHY_REPORT_H

#include <stddef.h>

#include "svcmap/map.h"
#include "svcmap/util.h"
#include "svcmap/why.h"

#define SM_WHY_SCHEMA "svcmap.why/v1"

struct sm_why_report {
    const struct sm_map *map;                  /* borrowed: its source block is reported */
    const struct sm_why_entry *const *entries; /* borrowed: the entries to report */
    size_t nentries;
    double slowest_pct; /* 0: every trace; else the slowest this many percent */
};

void sm_why_write_table(const struct sm_why_report *r, struct sm_buf *out);
void sm_why_write_markdown(const struct sm_why_report *r, struct sm_buf *out);
void sm_why_write_json(const struct sm_why_report *r, struct sm_buf *out);
void sm_why_write_folded(const struct sm_why_report *r, struct sm_buf *out);

/* The name a person reads for a node id: a service's name alone ("frontend" for
 * "service:frontend"), other kinds as they are ("database:inventory"); a wire id as
 * "FROM -> TO" of those. Appended to out unescaped. */
void sm_why_display_name(struct sm_buf *out, const char *id);

#endif
