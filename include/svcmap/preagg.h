/* preagg.h: maps from dependencies a tracing backend has already aggregated.
 *
 * Three shapes, recognised from their first bytes (sm_preagg_sniff):
 * - Zipkin /api/v2/dependencies: [{"parent", "child", "callCount", "errorCount"}];
 * - Jaeger /api/dependencies: {"data": [{"parent", "child", "callCount"}], ...} (a bare
 *   array of the same links reads as the Zipkin shape, which it is a subset of);
 * - the Prometheus text exposition of the OpenTelemetry Collector's servicegraph
 *   connector or Grafana Tempo's metrics generator: traces_service_graph_request_total,
 *   ..._request_failed_total and the ..._request_{client,server}_seconds histograms,
 *   labelled client, server and connection_type.
 *
 * Zipkin and Jaeger links become rpc edges between service nodes (the links say nothing
 * of kinds or latency). Prometheus series are summed per (client, server,
 * connection_type) over every other label (instance, job, extra dimensions), and
 * connection_type picks the kinds (docs/scale.md has the table):
 *   ""                 service -> service, rpc
 *   "messaging_system" producer service -> consumer service, messaging
 *   "database"         service -> database node, database
 *   "virtual_node"     client "user" (the connector's name for an uninstrumented caller)
 *                      -> the "client" node and entry_calls of the server, as the linker
 *                      does for requests from outside; otherwise the server side is the
 *                      uninstrumented one: an external node, or a service node when the
 *                      name is an instrumented service's in the same file.
 * Histogram buckets give latency by linear interpolation inside the bucket that holds
 * the rank, like PromQL's histogram_quantile; mean is _sum/_count; min and max are the
 * bounds of the lowest and highest occupied buckets (the largest finite bound when
 * observations fall in +Inf). Such edges have latency_estimated set. Counters are
 * totals since the exporter started, so the map covers that whole span of time.
 */
#ifndef SVCMAP_PREAGG_H
#define SVCMAP_PREAGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/error.h"
#include "svcmap/ingest.h"
#include "svcmap/map.h"
#include "svcmap/span.h"

/* True when head (the first len bytes of a file, decompressed) looks like one of the
 * three pre-aggregated shapes; the shape goes into *format. A Jaeger or Zipkin trace
 * export, an OTLP file or a map document is not claimed. */
bool sm_preagg_sniff(const char *head, size_t len, enum sm_input_format *format);

/* Reads a pre-aggregated file ("-" is standard input; gzip allowed) into an initialised
 * map, adding to what it holds (sm_map_merge's rules: counts saturate, latency merged
 * into an edge that has some is estimated), and records the file and its format in
 * map->source. The shape is sniffed from the content. SM_EINPUT with file:line:column
 * on malformed input or an unrecognised shape.
 * Numbers are checked: a link's counts are whole numbers from 0 to SM_COUNT_MAX with
 * errorCount at most callCount; a service-graph sample is from 0 to 2^53 (not +Inf,
 * 1e300 or 2^64; NaN, the staleness marker, is passed over), a bucket's le is from 0 up
 * or +Inf, and a histogram's buckets grow. Such a bad record is SM_EINPUT with its
 * place when opt is NULL or opt->strict; otherwise it is told to opt->on_skip (may be
 * NULL), counted in map->source.skipped_records and left out. opt is borrowed. */
int sm_preagg_read(const char *path, const struct sm_ingest_options *opt, struct sm_map *map,
                   struct sm_error *err);

/* The same from an open input (its head may have been peeked); format may be
 * SM_FORMAT_UNKNOWN (sniffed) or one of the three pre-aggregated formats. */
struct sm_input;
int sm_preagg_read_input(struct sm_input *in, enum sm_input_format format,
                         const struct sm_ingest_options *opt, struct sm_map *map,
                         struct sm_error *err);

/* The same for a document held in memory; name is used in messages. format may be
 * SM_FORMAT_UNKNOWN (sniffed) or one of the three pre-aggregated formats. */
int sm_preagg_parse(const char *data, size_t len, const char *name, enum sm_input_format format,
                    const struct sm_ingest_options *opt, struct sm_map *map, struct sm_error *err);

/* One histogram bucket: the cumulative count of observations <= le. */
struct sm_bucket {
    double le; /* upper bound; INFINITY for +Inf */
    double count;
};

/* The q-quantile (0 <= q <= 1) of a cumulative histogram (buckets sorted by le, the
 * last one +Inf), by PromQL's histogram_quantile rules: linear interpolation inside the
 * bucket holding rank q * total, lower bound 0 for the first bucket, the largest finite
 * bound when the rank falls in +Inf. NaN when there are no observations or no +Inf
 * bucket. */
double sm_histogram_quantile(const struct sm_bucket *buckets, size_t n, double q);

/* How coarse that estimate is: the bounds of the bucket the q-quantile falls in
 * (*low = 0 for the first bucket; when the rank falls in +Inf, *low is the largest
 * finite bound and *high is INFINITY). False, with both NaN, where
 * sm_histogram_quantile is NaN. */
bool sm_histogram_quantile_bounds(const struct sm_bucket *buckets, size_t n, double q, double *low,
                                  double *high);

#endif
