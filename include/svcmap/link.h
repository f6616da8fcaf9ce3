/* link.h: from spans to calls: trace assembly and the edge rules of DESIGN.md.
 *
 * Spans of whole traces (Jaeger traces, Zipkin trace lists) are linked as soon as they
 * arrive and then dropped. Spans in no particular order (OTLP lines, flat Zipkin arrays)
 * wait in compact records (sm_linker_record_bytes each) until sm_linker_finish, which
 * groups them by trace and links them. Either way each call adds to one map edge.
 */
#ifndef SVCMAP_LINK_H
#define SVCMAP_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/error.h"
#include "svcmap/map.h"
#include "svcmap/span.h"

/* With by_operation, service nodes are named SERVICE::OPERATION. */
#define SM_OPERATION_SEPARATOR "::"

/* Spans one trace may hold before it is left unlinked (--max-trace-spans). */
#define SM_DEFAULT_MAX_TRACE_SPANS ((size_t)200000)

struct sm_link_options {
    /* A trace with more spans than this (0: the default) is not linked: it is counted
     * (sm_linker_oversized_traces) and in the map's skipped_records, so that one
     * runaway trace cannot hold the linker's per-trace tables hostage. */
    size_t max_trace_spans;
    /* Nodes per (service, operation) instead of per service: a callee is named by its
     * server span, a caller by the server span of its own service it works for. Peers
     * that send no spans (databases, queues, external APIs) stay one node each. */
    bool by_operation;
    /* A trace over max_trace_spans is told to on_skip (may be NULL) as a skipped
     * record; with strict it is an error instead (SM_EINPUT from sm_linker_add or
     * sm_linker_finish). */
    bool strict;
    void (*on_skip)(void *ctx, const struct sm_error *err);
    void *ctx;
    /* The critical path of every entry span is walked and added up in the map's why
     * entries (why.h, docs/critical-path.md) unless no_critical is set. */
    bool no_critical;
    /* In (0, 100): each entry keeps only its slowest slowest_pct % of traces. Each
     * walked trace's figures are then kept until the end (about 16 bytes per
     * contributor, edge and stack of the trace, plus 40). 0: every trace. */
    double slowest_pct;
};

struct sm_linker;

/* The linker adds into map, which it borrows until sm_linker_finish. */
struct sm_linker *sm_linker_new(struct sm_map *map, const struct sm_link_options *opt);

/* Takes in the spans of a batch (copied: the batch may be reset afterwards). */
int sm_linker_add(struct sm_linker *l, const struct sm_batch *batch, struct sm_error *err);

/* For a receiver that cannot wait for the end: a mark of the spans taken in so far, and
 * a call that links every waiting trace none of whose spans arrived after an older
 * mark (a trace idle since then). Marks wrap after 2^32 spans; a mark is meaningful
 * while fewer than 2^31 spans arrive after it. */
uint32_t sm_linker_mark(const struct sm_linker *l);
void sm_linker_link_idle(struct sm_linker *l, uint32_t mark);
/* Adds what has been linked so far into out (nodes, edges, trace counts) as
 * sm_linker_finish would, without the spans still waiting and without changing the
 * linker: a map of the run so far. */
int sm_linker_snapshot(struct sm_linker *l, struct sm_map *out, struct sm_error *err);

/* Links every span still waiting and completes the map's source counts. */
int sm_linker_finish(struct sm_linker *l, struct sm_error *err);

/* Traces left unlinked because they had more than max_trace_spans spans. */
uint64_t sm_linker_oversized_traces(const struct sm_linker *l);

/* Bytes held per waiting span (for the memory budget). */
size_t sm_linker_record_bytes(void);
/* Spans waiting right now. */
size_t sm_linker_pending(const struct sm_linker *l);

void sm_linker_free(struct sm_linker *l);

#endif
