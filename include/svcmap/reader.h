/* reader.h: the registry of span readers, one per export format.
 *
 * Each reader is one file (read_otlp.c, read_jaeger.c, read_zipkin.c) exporting one
 * const struct sm_reader. A reader never sees the file: the scanner hands it one parsed
 * element at a time and it appends that element's spans to a batch.
 */
#ifndef SVCMAP_READER_H
#define SVCMAP_READER_H

#include <jansson.h>

#include "svcmap/error.h"
#include "svcmap/scan.h"
#include "svcmap/span.h"

struct sm_reader {
    const char *name; /* the --input-format word */
    enum sm_input_format format;
    /* How sure the reader is that this element (the first of a file) is its own:
     * 0 (not mine) to 100 (certainly mine). */
    int (*probe)(const struct sm_element *el, const json_t *value);
    /* Appends the element's spans to out. A malformed element is SM_EINPUT with err
     * filled (the text only; the caller adds the place of the element). Spans appended
     * before a failure are dropped by the caller.
     *
     * A bad span costs only itself: the reader leaves it out with sm_batch_skip (its
     * message in out->skips) and keeps the element's other spans; the caller counts it
     * in skipped_spans and names it with the element's place. Where a whole resource is
     * unusable (an OTLP resourceSpans item inside a document of several) its spans are
     * left out as one skip. The element itself is bad (SM_EINPUT) only when its own
     * shape is ("spans" not an array, a trace that is not an object) or when it is one
     * span or one resourceSpans item and that is bad. Bad means: a required id missing,
     * a known field of the wrong JSON type, an id of the wrong length where the format
     * fixes it (OTLP: 32/16 hex digits or base64 of 16/8 bytes; Jaeger and Zipkin ids
     * are strings, hex normalized and anything else kept opaque), a time that is not a
     * non-negative integer or overflows int64 nanoseconds, an unknown kind or status
     * code. null counts as absent. Messages name the span by its 1-based place in the
     * element and the field as it was spelled: `span 3: "traceId" must be 32 hex digits
     * or base64 of 16 bytes as OTLP requires, got "xyz"`.
     *
     * An element that is a record of another signal (an OTLP file exporter's
     * resourceLogs or resourceMetrics line) is SM_READ_IGNORED with err->text naming
     * it ("resourceLogs"): counted as ignored, not as bad. */
    int (*parse)(const struct sm_element *el, const json_t *value, struct sm_batch *out,
                 struct sm_error *err);
};

/* parse: the element is not trace data and is left out on purpose. */
#define SM_READ_IGNORED 1

extern const struct sm_reader sm_reader_otlp;
extern const struct sm_reader sm_reader_jaeger;
extern const struct sm_reader sm_reader_zipkin;
extern const struct sm_reader sm_reader_zipkin1;

/* NULL-terminated table of every span reader. */
extern const struct sm_reader *const sm_readers[];

/* The reader for a format, or NULL. */
const struct sm_reader *sm_reader_for(enum sm_input_format format);

/* The reader that claims el best, or NULL when none does. */
const struct sm_reader *sm_reader_detect(const struct sm_element *el, const json_t *value);

#endif
