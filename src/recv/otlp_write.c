/* otlp_write.c: spans back out as one OTLP JSON line, for `--save-spans`.
 *
 * What a receiver took in is kept as the OTLP reader reads it: each run of spans of one
 * resource (service name, namespace, version) becomes one resourceSpans item, every span
 * carries its ids in hex, kind and status code as numbers, times as nanosecond strings
 * and the attributes the linker looks at. Read back with `svcmap map`, the spans link
 * to the same map.
 */
#include <stdio.h>
#include <string.h>

#include "svcmap/recv.h"

static bool same(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static bool same_resource(const struct sm_span *a, const struct sm_span *b)
{
    return same(a->service, b->service) && same(a->service_namespace, b->service_namespace) &&
           same(a->service_version, b->service_version);
}

/* Appends ,{"key":K,"value":{"stringValue":V}} (the comma only when *first is false). */
static void attr(struct sm_buf *out, bool *first, const char *key, const char *value)
{
    if (!value)
        return;
    if (!*first)
        sm_buf_addc(out, ',');
    *first = false;
    sm_buf_adds(out, "{\"key\":");
    sm_buf_add_json_string(out, key);
    sm_buf_adds(out, ",\"value\":{\"stringValue\":");
    sm_buf_add_json_string(out, value);
    sm_buf_adds(out, "}}");
}

/* OTLP wants 32 hex digits for a trace id; a 64-bit Zipkin id is the same trace with
 * zeros in front (the linker keys traces by their low 64 bits). */
static void trace_id(struct sm_buf *out, const char *id)
{
    size_t n = strlen(id);

    sm_buf_addc(out, '"');
    for (; n < 32; n++)
        sm_buf_addc(out, '0');
    sm_buf_adds(out, id);
    sm_buf_addc(out, '"');
}

static void span_json(struct sm_buf *out, const struct sm_span *s)
{
    bool first = true;

    sm_buf_adds(out, "{\"traceId\":");
    trace_id(out, s->trace_id);
    sm_buf_adds(out, ",\"spanId\":");
    sm_buf_add_json_string(out, s->span_id);
    if (s->parent_id) {
        sm_buf_adds(out, ",\"parentSpanId\":");
        sm_buf_add_json_string(out, s->parent_id);
    }
    sm_buf_adds(out, ",\"name\":");
    sm_buf_add_json_string(out, s->name ? s->name : "");
    sm_buf_printf(out, ",\"kind\":%d", (int)s->kind);
    if (s->start_ns > 0) {
        sm_buf_printf(out, ",\"startTimeUnixNano\":\"%lld\"", (long long)s->start_ns);
        if (s->has_duration && s->duration_ns >= 0)
            sm_buf_printf(out, ",\"endTimeUnixNano\":\"%lld\"",
                          (long long)(s->duration_ns > INT64_MAX - s->start_ns
                                          ? INT64_MAX
                                          : s->start_ns + s->duration_ns));
    }
    if (s->error)
        sm_buf_adds(out, ",\"status\":{\"code\":2}");
    sm_buf_adds(out, ",\"attributes\":[");
    attr(out, &first, "peer.service", s->peer_service ? s->peer_service : s->remote_service);
    attr(out, &first, "db.system", s->db_system);
    attr(out, &first, "db.namespace", s->db_namespace);
    attr(out, &first, "db.name", s->db_name);
    attr(out, &first, "messaging.system", s->messaging_system);
    attr(out, &first, "messaging.destination.name", s->messaging_destination);
    attr(out, &first, "server.address", s->server_address);
    attr(out, &first, "server.port", s->server_port);
    attr(out, &first, "net.peer.name", s->net_peer_name);
    attr(out, &first, "http.host", s->http_host);
    if (s->http_status > 0) {
        if (!first)
            sm_buf_addc(out, ',');
        sm_buf_printf(out,
                      "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"%d\"}}",
                      s->http_status);
    }
    sm_buf_adds(out, "]}");
}

void sm_recv_batch_to_otlp_json(const struct sm_batch *batch, struct sm_buf *out)
{
    size_t i = 0;

    sm_buf_adds(out, "{\"resourceSpans\":[");
    while (i < batch->len) {
        const struct sm_span *r = &batch->spans[i];
        bool first = true;
        size_t j;

        if (i > 0)
            sm_buf_addc(out, ',');
        sm_buf_adds(out, "{\"resource\":{\"attributes\":[");
        attr(out, &first, "service.name", r->service);
        attr(out, &first, "service.namespace", r->service_namespace);
        attr(out, &first, "service.version", r->service_version);
        sm_buf_adds(out, "]},\"scopeSpans\":[{\"spans\":[");
        for (j = i; j < batch->len && same_resource(&batch->spans[j], r); j++) {
            if (j > i)
                sm_buf_addc(out, ',');
            span_json(out, &batch->spans[j]);
        }
        sm_buf_adds(out, "]}]}");
        i = j;
    }
    sm_buf_adds(out, "]}");
}
