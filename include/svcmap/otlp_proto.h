/* otlp_proto.h: OTLP trace data in protobuf (TracesData, ExportTraceServiceRequest).
 *
 * A TracesData message and a collector ExportTraceServiceRequest are the same on the wire:
 * field 1, repeated ResourceSpans. Each ResourceSpans item is mapped exactly as the OTLP
 * JSON reader maps a resourceSpans item (read_otlp.c): the same sm_span fields, the same
 * attribute names, ids as lowercase hex, the same rules for a bad span, so that a span
 * read from protobuf and the same span read from JSON are equal field for field.
 *
 * Memory: the message is borrowed, never copied whole; spans are decoded one at a time
 * (protobuf-c, messages generated from proto/svcmap_otlp.proto) into a scratch arena that
 * is bounded, so a hostile length or a flood of tiny fields cannot make it grow without
 * limit.
 */
#ifndef SVCMAP_OTLP_PROTO_H
#define SVCMAP_OTLP_PROTO_H

#include <stddef.h>

#include "svcmap/error.h"
#include "svcmap/span.h"

/* Appends the spans of one OTLP TracesData or ExportTraceServiceRequest message (the
 * two share field 1, repeated ResourceSpans) to out. A span breaking the same rules as
 * the JSON reader, or whose own bytes do not decode, is left out alone (sm_batch_skip:
 * out->skips); malformed framing or resource is SM_EINPUT with err filled (the text
 * only; the caller adds the place). Spans appended before a failure are left for the
 * caller to drop. */
int sm_otlp_proto_parse(const void *data, size_t len, struct sm_batch *out, struct sm_error *err);

/* One ResourceSpans item found in a message by sm_otlp_proto_next_item. */
struct sm_otlp_proto_item {
    const void *data; /* borrowed from the message */
    size_t len;
    size_t offset; /* of data, from the start of the message */
};

/* Steps over the top level of a TracesData message of len bytes: from *pos (0 at the
 * start) to the next ResourceSpans item, skipping other fields. 1 with *item filled and
 * *pos moved past it, 0 at the end, or SM_EINPUT when the framing is broken (err's text
 * only, err->offset the byte of the message where it broke). After an error the rest of
 * the message cannot be walked. */
int sm_otlp_proto_next_item(const void *msg, size_t len, size_t *pos,
                            struct sm_otlp_proto_item *item, struct sm_error *err);

/* Appends the spans of one ResourceSpans item (its bytes, without tag and length).
 * *span_no counts the spans seen so far for messages ("span N: ..."), 1-based; start it
 * at 0. Errors as sm_otlp_proto_parse, with err->offset the byte of the item where a
 * malformed part starts (-1 for a span that is well-formed protobuf but breaks a rule). */
int sm_otlp_proto_parse_item(const void *data, size_t len, size_t *span_no, struct sm_batch *out,
                             struct sm_error *err);

/* How sure it is that head (the first head_len bytes of an input) starts a TracesData
 * message: 0 (not one) to 100. msg_len is the message's whole length when known (the
 * whole input is in head, or a frame said it), else 0. The first ResourceSpans item is
 * walked as far as head reaches, every tag and length checked against the OTLP fields,
 * so that text (JSON with a leading newline, Prometheus, CSV) does not pass. */
int sm_otlp_proto_sniff_message(const void *head, size_t head_len, size_t msg_len);

#endif
