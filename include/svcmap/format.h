/* format.h: the one table of input formats: name, sniff over the head bytes, read.
 *
 * Every input svcmap reads (trace exports, pre-aggregated dependencies, map documents,
 * binary formats) is a row of sm_formats. A row says what the --input-format word is,
 * how sure it is that an input is its own from the first bytes of the input
 * (decompressed, never a parsed value: pipes are sniffed from a buffered head too), and
 * how to read the whole input into a sink. Help text, the --input-format words and the
 * man page's list all come from this table.
 *
 * Adding a format is one file and one row: the file (say read_zipkin1.c) defines
 *     const struct sm_format sm_format_zipkin1 = {.name = "zipkin1", ...};
 * and sm_formats in format.c lists it (with a value in enum sm_input_format, span.h,
 * for the map's source block). A JSON trace format sets .elements to its element
 * reader (reader.h) and .read to sm_read_json_elements: the streaming scanner, worker
 * threads, bad-record policy and time filter then come for free. A binary format (OTLP
 * protobuf) sets its own .read, takes bytes with sm_input_read, and hands spans out
 * with sm_sink_spans, bad records with sm_sink_bad_record and bad spans of good records
 * with sm_sink_bad_span.
 */
#ifndef SVCMAP_FORMAT_H
#define SVCMAP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/error.h"
#include "svcmap/ingest.h"
#include "svcmap/input.h"
#include "svcmap/map.h"
#include "svcmap/span.h"

struct sm_reader;

/* Where a format's read function puts what it reads. All fields are borrowed. */
struct sm_read_sink {
    const struct sm_ingest_options *opt; /* strict, limits, time bounds, callbacks */
    struct sm_ingest_stats *stats;       /* added to */
    sm_batch_fn fn;                      /* takes span batches (trace formats) */
    void *fn_ctx;
    /* Formats that are maps already (pre-aggregated, map documents) add into this map;
     * NULL when only spans are wanted (`svcmap spans`). */
    struct sm_map *map;
    const char *file; /* the input's name for messages */
    /* Records of other signals in this input: how many, and their kinds named once
     * ("resourceLogs, resourceMetrics"); filled by sm_sink_ignored. */
    uint64_t ignored;
    char ignored_what[128];
};

/* How much of the head sm_load reads for sniffing. */
#define SM_SNIFF_HEAD_BYTES ((size_t)64 << 10)

struct sm_format {
    const char *name;        /* the --input-format word */
    enum sm_input_format id; /* its bit in the map's source.formats */
    const char *summary;     /* one line for help and the man page */
    bool spans;              /* yields spans (not a map): `svcmap spans` can show it */
    /* How sure the row is that an input starting with head (the first len decompressed
     * bytes, NUL-terminated; complete when that is the whole input) is its own: 0 (not
     * mine) to 100. The highest score wins; ties go to the earlier row. */
    int (*sniff)(const char *head, size_t len, bool complete);
    /* Reads the whole input (its head is still unread). Returns 0 when the input was
     * read (bad records may have been skipped through the sink), or a negative status
     * with err filled. */
    int (*read)(const struct sm_format *f, struct sm_input *in, struct sm_read_sink *sink,
                struct sm_error *err);
    /* JSON trace formats: the element reader sm_read_json_elements uses. */
    const struct sm_reader *elements;
};

/* Rows defined in their reader's own file. */
extern const struct sm_format sm_format_zipkin1;
extern const struct sm_format sm_format_otlp_proto; /* read_otlp_proto.c */

/* NULL-terminated table of every input format, in the order help lists them. */
extern const struct sm_format *const sm_formats[];

/* The row named by an --input-format word, or NULL. */
const struct sm_format *sm_format_find(const char *name);
/* The row of a format id, or NULL. */
const struct sm_format *sm_format_for(enum sm_input_format id);
/* The row that claims head best, or NULL when none does. */
const struct sm_format *sm_format_sniff(const char *head, size_t len, bool complete);

/* "otlp, jaeger, ... or map": every row's name, for messages and help. Borrowed,
 * static. */
const char *sm_format_names(void);
/* The same for the rows that yield spans. */
const char *sm_format_span_names(void);

/* For sniffs: true when head has "key" used as an object key (the quoted name followed
 * by blanks and a colon), anywhere in the head. */
bool sm_sniff_has_key(const char *head, size_t len, const char *key);

/* The read function of JSON trace formats: scans the input into elements and has
 * f->elements (or, when f is NULL, the element reader that claims the first element)
 * turn each into spans for the sink. */
int sm_read_json_elements(const struct sm_format *f, struct sm_input *in, struct sm_read_sink *sink,
                          struct sm_error *err);

/* For read functions: hands a batch of spans on (time filter, statistics, the sink's
 * callback). The batch is borrowed for the call. */
int sm_sink_spans(struct sm_read_sink *sink, struct sm_batch *batch, struct sm_error *err);
/* For read functions: a bad record (bad names its place). With strict it becomes the
 * error (returns SM_EINPUT with *err = *bad); otherwise it is counted and told to
 * on_skip, and 0 is returned. */
int sm_sink_bad_record(struct sm_read_sink *sink, const struct sm_error *bad, struct sm_error *err);
/* For read functions: bad spans left out of a record whose other spans were kept (bad
 * names the record's place, its text the span: "span 3: ..."); spans is how many it
 * cost. With strict it becomes the error; otherwise counted in skipped_spans and told
 * to on_skip_span, and 0 is returned. */
int sm_sink_bad_span(struct sm_read_sink *sink, const struct sm_error *bad, uint64_t spans,
                     struct sm_error *err);
/* For read functions: every skip a reader recorded in batch (sm_batch_skip), told to
 * sm_sink_bad_span with the record's place (file, line, column, offset) and prefix
 * ("" or, say, "in a zstd-compressed message: ") before the reader's text. */
int sm_sink_batch_skips(struct sm_read_sink *sink, const struct sm_batch *batch, long line,
                        long column, long long offset, const char *prefix, struct sm_error *err);
/* For read functions: a record of another signal (OTLP logs or metrics in a file
 * exporter's output), counted in ignored_records; what names it ("resourceLogs"). */
void sm_sink_ignored(struct sm_read_sink *sink, const char *what);

#endif
