/* ingest.h: from file names to batches of spans, the input half of the pipeline.
 *
 * sm_ingest_file opens a file (or stdin), detects its format from its content, scans it
 * element by element, has the format's reader turn each element into spans and hands
 * every batch to a callback. A bad element is skipped and counted (reported through
 * on_skip), a bad span inside a good element likewise (on_skip_span), or either ends
 * the run with --strict.
 */
#ifndef SVCMAP_INGEST_H
#define SVCMAP_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "svcmap/error.h"
#include "svcmap/scan.h"
#include "svcmap/span.h"

struct sm_ingest_options {
    enum sm_input_format format; /* SM_FORMAT_UNKNOWN: detect from content */
    bool strict;                 /* stop at the first bad record */
    struct sm_scan_limits limits;
    int64_t since_ns; /* keep spans starting at or after; 0: no bound */
    int64_t until_ns; /* keep spans starting before; 0: no bound */
    /* Threads that parse elements while the calling thread scans; 0 or 1: the calling
     * thread does everything. Batches reach the callback in file order either way, and
     * always in the calling thread. */
    int threads;
    /* Told about every skipped record (err has file and place); may be NULL. */
    void (*on_skip)(void *ctx, const struct sm_error *err);
    /* Told about every bad span left out of a record whose other spans were kept: err has
     * the file and the record's place, its text says which span ("span 3: ...") or
     * resource; spans is how many spans that cost (1, or a resource's). May be NULL. */
    void (*on_skip_span)(void *ctx, const struct sm_error *err, uint64_t spans);
    /* Told once per input that held records of other signals (OTLP logs or metrics):
     * how many, and their kinds ("resourceLogs, resourceMetrics"); may be NULL. */
    void (*on_ignored)(void *ctx, const char *file, uint64_t count, const char *what);
    /* Told about progress now and then; may be NULL. */
    void (*on_progress)(void *ctx, const char *file, long long done_bytes, long long total_bytes);
    void *ctx;
    /* Read every element with the jansson readers (the reference) instead of the
     * streaming ones (sax.h). Set from the environment (SVCMAP_READER=jansson) by
     * sm_ingest_options_init. */
    bool jansson_readers;
};

/* Sets the defaults: detect, not strict, default limits, no time bounds, no callbacks,
 * the streaming readers unless SVCMAP_READER=jansson. */
void sm_ingest_options_init(struct sm_ingest_options *opt);

struct sm_ingest_stats {
    uint64_t spans;           /* spans handed to the callback */
    uint64_t elements;        /* elements read */
    uint64_t skipped_records; /* bad elements skipped */
    uint64_t skipped_spans;   /* bad spans left out of elements that were kept */
    uint64_t ignored_records; /* records of other signals (OTLP logs, metrics) left out */
    unsigned formats;         /* bit (1 << format) for each format seen */
    int64_t start_ns;         /* earliest span start, 0 when none */
    int64_t end_ns;           /* latest span end, 0 when none */
};

/* Called with each batch; the batch is borrowed for the call. A negative return stops
 * the ingest and is passed up. */
typedef int (*sm_batch_fn)(void *ctx, struct sm_batch *batch, struct sm_error *err);

/* Reads one file ("-" for stdin) of a format that holds spans (the format table's rows
 * with .spans; opt->format or sniffed from the head). Statistics are added to *stats (not cleared).
 * Returns 0 when the file was read (possibly with skipped records), SM_EINPUT when it
 * could not be read at all or, with strict, at the first bad record; SM_ESYSTEM on I/O
 * failure; or what fn returned. */
int sm_ingest_file(const char *path, const struct sm_ingest_options *opt, sm_batch_fn fn,
                   void *fn_ctx, struct sm_ingest_stats *stats, struct sm_error *err);

#endif
