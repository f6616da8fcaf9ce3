/* span.h: the one normalized span record that every reader produces.
 *
 * A reader turns one element of an export (an OTLP resourceSpans item, a Jaeger
 * trace, a Zipkin span or trace) into sm_span records appended to an sm_batch. All
 * strings of a batch live in the batch's arena: they are borrowed by everyone else and
 * valid until sm_batch_reset or sm_batch_release.
 */
#ifndef SVCMAP_SPAN_H
#define SVCMAP_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/util.h"

enum sm_span_kind {
    SM_KIND_UNSET = 0, /* no kind recorded (old instrumentation) */
    SM_KIND_INTERNAL,
    SM_KIND_SERVER,
    SM_KIND_CLIENT,
    SM_KIND_PRODUCER,
    SM_KIND_CONSUMER,
};

/* "unset", "internal", "server", "client", "producer", "consumer". */
const char *sm_span_kind_name(enum sm_span_kind kind);

enum sm_ref_type {
    SM_REF_CHILD_OF = 0,
    SM_REF_FOLLOWS_FROM,
};

struct sm_span_ref {
    enum sm_ref_type type;
    const char *trace_id; /* normalized like sm_span.trace_id */
    const char *span_id;
};

enum sm_input_format {
    SM_FORMAT_UNKNOWN = 0,
    SM_FORMAT_OTLP,
    SM_FORMAT_JAEGER,
    SM_FORMAT_ZIPKIN,
    SM_FORMAT_ZIPKIN_DEPS, /* pre-aggregated: Zipkin /api/v2/dependencies */
    SM_FORMAT_JAEGER_DEPS, /* pre-aggregated: Jaeger /api/dependencies */
    SM_FORMAT_PROMETHEUS,  /* pre-aggregated: service-graph connector metrics */
    SM_FORMAT_MAP,         /* a svcmap.map/v1 document */
    SM_FORMAT_ZIPKIN1,     /* Zipkin v1 JSON (annotations, binaryAnnotations) */
    SM_FORMAT_OTLP_PROTO,  /* OTLP protobuf (its spans say SM_FORMAT_OTLP, as from JSON) */
};
/* "otlp", "jaeger", "zipkin", ...; "unknown" for SM_FORMAT_UNKNOWN. */
const char *sm_format_name(enum sm_input_format format);
/* The format named by a --input-format word, or SM_FORMAT_UNKNOWN. */
enum sm_input_format sm_format_from_name(const char *name);

/* One span. Strings are NULL when absent, never "". Ids are normalized:
 * - hex ids (any case, base64 decoded first for OTLP) become lowercase hex,
 *   left-padded with zeros to 16 digits, or to 32 when longer than 16;
 * - anything else is kept as it was (an opaque id), compared byte for byte.
 * An all-zero parent id (OTLP root spans) is NULL. */
struct sm_span {
    const char *trace_id; /* required */
    const char *span_id;  /* required */
    const char *parent_id;
    struct sm_span_ref *refs; /* Jaeger references, in file order; arena memory */
    size_t nrefs;

    const char *service; /* local service name; NULL when the span has none */
    const char *name;    /* operation / span name */
    enum sm_span_kind kind;

    int64_t start_ns;    /* Unix epoch nanoseconds; 0 when unknown */
    int64_t duration_ns; /* >= 0; -1 when unknown */
    bool has_duration;

    bool error;  /* error status: OTLP STATUS_CODE_ERROR, Jaeger error=true or
                    otel.status_code=ERROR, Zipkin tag "error" of any value */
    bool shared; /* Zipkin: a server span sharing the client's span id */

    const char *remote_service; /* Zipkin remoteEndpoint.serviceName */
    /* Zipkin localEndpoint address as "ipv4|ipv6|port" (NULL when it has none): with the
     * service it tells apart servers that reuse one span id on different hosts. */
    const char *local_address;

    /* The attributes the linker needs (OpenTelemetry names, older names mapped). */
    const char *peer_service;          /* peer.service */
    const char *db_system;             /* db.system (or db.system.name) */
    const char *db_namespace;          /* db.namespace */
    const char *db_name;               /* db.name */
    const char *messaging_system;      /* messaging.system */
    const char *messaging_destination; /* messaging.destination.name (or .destination) */
    const char *server_address;        /* server.address */
    const char *server_port;           /* server.port, as text */
    const char *net_peer_name;         /* net.peer.name */
    const char *http_host;             /* http.host */
    int http_status; /* http.response.status_code or http.status_code; 0 if none */

    /* From the resource (OTLP) or process (Jaeger). */
    const char *service_namespace; /* service.namespace */
    const char *service_version;   /* service.version */

    enum sm_input_format format;
};

/* A span (or every span of a resource) that a reader left out of its element as bad,
 * while the element's other spans were kept. */
struct sm_span_skip {
    uint64_t spans;   /* spans it cost: 1 for a span, all of a resource's for a resource */
    const char *text; /* why, as "span N: ..." (N 1-based in the element); batch arena */
};

/* Spans read from one element, plus the arena their strings live in. */
struct sm_batch {
    struct sm_span *spans; /* owned array */
    size_t len;
    size_t cap;
    /* Bad spans left out, in element order (sm_batch_skip); owned array, texts in the
     * arena. Cleared with the spans by sm_batch_reset. */
    struct sm_span_skip *skips;
    size_t nskips;
    size_t skips_cap;
    struct sm_arena arena;
    /* True when the element held whole traces (a Jaeger trace, a Zipkin trace list):
     * the linker lets these spans wait in its window of trace-grouped spans rather
     * than until the end (link.h). */
    bool whole_traces;
    enum sm_input_format format;
};

void sm_batch_init(struct sm_batch *b);
void sm_batch_reset(struct sm_batch *b); /* drops spans and strings, keeps memory */
void sm_batch_release(struct sm_batch *b);
/* A zeroed span appended to b (duration_ns -1); borrowed until the next add/reset. */
struct sm_span *sm_batch_add(struct sm_batch *b);
/* Leaves spans out as bad: drops the spans from index keep on (the one being built) and
 * records a skip of `spans` spans with the message text (copied). */
void sm_batch_skip(struct sm_batch *b, size_t keep, uint64_t spans, const char *text);
/* Arena copy of s (NULL stays NULL, "" becomes NULL). */
const char *sm_batch_str(struct sm_batch *b, const char *s);

/* Normalizes an id as described above into the batch arena. NULL for NULL, "" and
 * all-zero ids. */
const char *sm_batch_hex_id(struct sm_batch *b, const char *id);
/* The same for formats whose ids must be hex: *ok is false (and nothing is kept) when
 * id is not 1 to 32 hex digits. NULL with *ok true for all-zero ids. */
const char *sm_batch_strict_hex_id(struct sm_batch *b, const char *id, bool *ok);
/* The same on the len bytes at id, which need not end in NUL. */
const char *sm_batch_strict_hex_id_n(struct sm_batch *b, const char *id, size_t len, bool *ok);
/* The same for OTLP: ids that are not hex but valid base64 of 8 or 16 bytes are decoded. */
const char *sm_batch_otlp_id(struct sm_batch *b, const char *id);
/* How many bytes an OTLP id stands for: 8 or 16 for 16 or 32 hex digits (any case) or
 * base64 (standard or URL-safe, padding optional) of 8 or 16 bytes; 0 for anything else. */
size_t sm_otlp_id_size(const char *id);

/* Appends one span as a JSON object on one line (no newline), fields in a fixed order,
 * absent fields left out. The format of `svcmap spans`. */
void sm_span_to_json(const struct sm_span *span, struct sm_buf *out);

#endif
