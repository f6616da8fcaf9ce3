/* recv.h: the OTLP/HTTP receiver: spans sent over HTTP become a map.
 *
 * Two layers. sm_recv_decode is pure: one HTTP request (method, path, headers, body) in,
 * the spans it carries and the reply the OTLP/HTTP specification asks for out; it
 * touches nothing else, so the fuzzer drives it directly. struct sm_recv is the server
 * around it (libmicrohttpd, one internal thread): bounded in body size, connections,
 * time per request and spans waiting for their trace, it feeds a linker whose traces
 * are finished when idle (sm_recv_tick) and at the end (sm_recv_stop).
 *
 * The receiver never prints. What the command line wants to know arrives through
 * callbacks and sm_recv_stats.
 */
#ifndef SVCMAP_RECV_H
#define SVCMAP_RECV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/error.h"
#include "svcmap/link.h"
#include "svcmap/map.h"
#include "svcmap/span.h"
#include "svcmap/util.h"

/* Largest request body accepted, after decompression (--max-body). */
#define SM_RECV_DEFAULT_MAX_BODY_BYTES ((size_t)20 << 20)
/* Spans waiting for their trace before requests get 429 (--max-pending-spans): the
 * linker keeps 80 bytes per waiting span, so this is 40 MB of records, leaving room in
 * 64 MB for the request being decoded. */
#define SM_RECV_DEFAULT_MAX_PENDING_SPANS ((size_t)500000)
#define SM_RECV_DEFAULT_MAX_CONNECTIONS   64
/* Seconds a connection may take for one request, idle time between requests included. */
#define SM_RECV_DEFAULT_REQUEST_TIMEOUT_S 10
/* A trace with no new span for this long is linked (--trace-idle). */
#define SM_RECV_DEFAULT_TRACE_IDLE_MS 5000

/* What a request carries, by path and content type. */
enum sm_recv_encoding {
    SM_RECV_NONE = 0, /* not decoded: no usable encoding */
    SM_RECV_OTLP_PROTO,
    SM_RECV_OTLP_JSON,
    SM_RECV_ZIPKIN_JSON,
};

/* One HTTP request, everything borrowed for the call. Header values are NULL when the
 * header is absent. */
struct sm_recv_request {
    const char *method;
    const char *path;
    const char *content_type;
    const char *content_encoding;
    const void *body;
    size_t len;
    size_t max_body_bytes; /* after decompression; 0: the default */
};

/* The answer to one request. */
struct sm_recv_reply {
    int http_status;          /* 200, 202, 400, 404, 405, 413 or 415 */
    const char *content_type; /* of body; a static string */
    struct sm_buf body;       /* owned: release with sm_recv_reply_release */
    enum sm_recv_encoding encoding;
    uint64_t rejected_spans; /* spans the request held that were not accepted */
    char message[256];       /* why something was rejected, "" when nothing was */
};

void sm_recv_reply_init(struct sm_recv_reply *reply);
void sm_recv_reply_release(struct sm_recv_reply *reply);

/* Decodes one request: its accepted spans are appended to out (out->format set), the
 * reply is filled. Bad spans in a good body are a 200 with partial_success (OTLP) and
 * counted in rejected_spans; an undecodable body is a 400, a body over the limit (before
 * or after gzip) a 413, an unknown content type or encoding a 415, another path a 404,
 * another method a 405. Never fails otherwise: the status says it all. */
void sm_recv_decode(const struct sm_recv_request *req, struct sm_batch *out,
                    struct sm_recv_reply *reply);

/* The checks that need no body (path, method, content type and encoding, a declared
 * length over the limit): 0 with reply->encoding set when the body is worth reading,
 * else the HTTP status with the reply filled. */
int sm_recv_check(const struct sm_recv_request *req, struct sm_recv_reply *reply);

/* Fills reply with an error answer in the request's encoding (an OTLP google.rpc.Status
 * for OTLP, plain text otherwise). */
void sm_recv_error_reply(struct sm_recv_reply *reply, enum sm_recv_encoding enc, int http_status,
                         const char *message);

/* Appends the spans of batch as one OTLP JSON line ({"resourceSpans": [...]}, no
 * newline) that the OTLP reader reads back to the same spans as far as linking goes.
 * Zipkin's remoteEndpoint.serviceName becomes peer.service when the span has none. */
void sm_recv_batch_to_otlp_json(const struct sm_batch *batch, struct sm_buf *out);

struct sm_recv_options {
    const char *address;        /* numeric IPv4/IPv6 or a host name; NULL: 127.0.0.1 */
    unsigned port;              /* 0: any free port (see sm_recv_port) */
    size_t max_body_bytes;      /* 0: SM_RECV_DEFAULT_MAX_BODY_BYTES */
    size_t max_pending_spans;   /* 0: SM_RECV_DEFAULT_MAX_PENDING_SPANS */
    unsigned max_connections;   /* 0: SM_RECV_DEFAULT_MAX_CONNECTIONS */
    unsigned request_timeout_s; /* 0: SM_RECV_DEFAULT_REQUEST_TIMEOUT_S */
    int64_t trace_idle_ms;      /* 0: SM_RECV_DEFAULT_TRACE_IDLE_MS */
    const char *token;          /* non-NULL: requests need "Authorization: Bearer TOKEN" */
    struct sm_link_options link;
    /* Told, under the receiver's lock, about every batch of spans accepted; the batch
     * is borrowed for the call. May be NULL. */
    void (*on_spans)(void *ctx, const struct sm_batch *batch);
    void *ctx;
};

void sm_recv_options_init(struct sm_recv_options *opt);

/* Counts since the start. */
struct sm_recv_stats {
    uint64_t requests;
    uint64_t by_status[600]; /* requests answered with each HTTP status */
    uint64_t spans_accepted; /* handed to the linker */
    uint64_t spans_rejected; /* counted by the decoder in answered requests */
    uint64_t spans_bad;      /* of those, bad spans of accepted requests (partial success):
                                the map's source.skipped_spans */
    uint64_t bad_requests;   /* 400s */
    size_t pending_spans;    /* waiting for their trace now */
    size_t peak_pending_spans;
    uint64_t dropped_connections; /* closed for taking longer than the request timeout */
};

struct sm_recv;

/* Starts listening (the server runs in its own thread). SM_EUSAGE for a bad address,
 * SM_ESYSTEM when the port cannot be had. The caller frees with sm_recv_free. */
int sm_recv_start(struct sm_recv **out, const struct sm_recv_options *opt, struct sm_error *err);

/* The port listened on (the one picked when the options said 0). */
unsigned sm_recv_port(const struct sm_recv *r);

/* Housekeeping, to call about every quarter second: links traces idle for longer
 * than trace_idle_ms and drops connections over the request timeout. */
void sm_recv_tick(struct sm_recv *r);

/* Adds the map of everything linked so far to out (spans still waiting are left out);
 * the receiver keeps running. */
int sm_recv_snapshot(struct sm_recv *r, struct sm_map *out, struct sm_error *err);

/* Stops listening (requests under way are finished first), links every waiting span
 * and adds the whole map to out. Call once; then only sm_recv_stats and sm_recv_free. */
int sm_recv_stop(struct sm_recv *r, struct sm_map *out, struct sm_error *err);

void sm_recv_stats(struct sm_recv *r, struct sm_recv_stats *out);

/* Stops the server if it still runs and frees everything; NULL is fine. */
void sm_recv_free(struct sm_recv *r);

#endif
