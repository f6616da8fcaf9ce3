/* link.h: from spans to calls: trace assembly and the edge rules of DESIGN.md.
 *
 * Spans group by trace id across batches, files and formats (DESIGN rule 1): every span
 * waits in a compact record (sm_linker_record_bytes each) until its trace is finished,
 * that is, until the input can no longer add to it. Which is when:
 *
 * - Spans in no particular order (OTLP lines, flat Zipkin arrays, the receiver) can
 *   belong to any trace up to the last byte: they wait until sm_linker_finish (or the
 *   receiver's sm_linker_link_idle). While any of them waits, every span waits.
 * - Spans of trace-grouped inputs (a Jaeger trace, an element of a Zipkin list of
 *   traces) usually come with their whole trace, but an element is no trace boundary:
 *   the rest may follow in a later element, file or format. They wait in a window of
 *   window_spans spans (SM_DEFAULT_WINDOW_SPANS). When it is full and nothing in no
 *   particular order waits, the traces idle longest (newest span oldest) are linked
 *   until half the window is left, so a trace is finished once half a window of spans
 *   of other traces arrived after its last span. That keeps trace-grouped inputs in
 *   flat memory at any size (the window is about 10.5 MB) while a trace split over
 *   neighbouring elements or files links as one.
 * - A span that arrives for a trace linked early (window full) is late: it is counted
 *   (sm_linker_late_spans, source.late_spans) and not linked, because linking it as a
 *   trace of its own would count a second entry call and lose the calls between the
 *   parts. With strict it is an error. To tell late spans from new traces, the keys of
 *   the traces linked early are kept, in two generations of 131,072 (at most 9 MB):
 *   a part that comes after more than 131,072 other traces were linked early may not
 *   be recognised, and is then linked as a trace of its own.
 *
 * Trace keys: a hex id's low 64 bits and its high 64 bits (0 for a 64-bit id). A 64-bit
 * id and a 128-bit id with the same low half are one trace; 128-bit ids that differ in
 * the high half are not. When several 128-bit ids share one low half, the spans with the
 * 64-bit id, which could belong to any of them, are a trace of their own. Each call
 * adds to one map edge.
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

/* Spans of trace-grouped inputs that wait for the rest of their trace (see above):
 * 131072 records of 80 bytes, 10.5 MB, and as much again while they are sorted. */
#define SM_DEFAULT_WINDOW_SPANS ((size_t)131072)

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
    /* The window of trace-grouped spans (0: SM_DEFAULT_WINDOW_SPANS). */
    size_t window_spans;
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
/* Spans that arrived after their trace had been linked (see above), not linked. */
uint64_t sm_linker_late_spans(const struct sm_linker *l);

/* Bytes held per waiting span (for the memory budget). */
size_t sm_linker_record_bytes(void);
/* Spans waiting right now. */
size_t sm_linker_pending(const struct sm_linker *l);

void sm_linker_free(struct sm_linker *l);

#endif
