/* read_zipkin.c: the Zipkin v2 JSON reader (/api/v2/spans bodies, /api/v2/traces answers).
 *
 * One element is one span (an item of a flat array of spans) or one trace (an item of
 * an array of arrays, each inner array one trace: then the batch holds whole traces).
 * Ids are hex: trace ids of up to 32 digits (64- or 128-bit), span ids of up to 16,
 * short ones left-padded; other strings are kept as opaque ids. A bad span inside a
 * trace (an array) is left out alone (sm_batch_skip); a span that is the element is a
 * bad record. localEndpoint.serviceName is the span's service,
 * remoteEndpoint.serviceName its remote service. A tag "error" of any value (a string,
 * even empty, or any other JSON value but null) marks an error, as in Zipkin, and so
 * does "otel.status_code": "ERROR" (OpenTelemetry's Zipkin exporters write it, with an
 * "error" tag only when the status has a description); an annotation named "error"
 * does not. For a CLIENT or PRODUCER span with neither a remote
 * service name nor a server.address tag, the remote endpoint's address and port stand
 * in for server.address and server.port (a SERVER's remote endpoint is its caller, so
 * its address is not taken).
 */
#include <stdio.h>
#include <string.h>

#include "read_common.h"
#include "svcmap/reader.h"

static bool looks_like_span(const json_t *v)
{
    return json_is_object(v) && json_is_string(json_object_get(v, "traceId")) &&
           json_object_get(v, "id") != NULL;
}

static int probe(const struct sm_element *el, const json_t *value)
{
    (void)el;
    if (looks_like_span(value))
        return 90;
    if (json_is_array(value)) {
        const json_t *first = json_array_get(value, 0);

        if (looks_like_span(first))
            return 90;
        /* [[span, ...], ...] as a whole document */
        if (json_is_array(first) && looks_like_span(json_array_get(first, 0)))
            return 90;
        if (json_array_size(value) == 0)
            return 10; /* an empty trace: nothing else claims it */
    }
    return 0;
}

/* An id: a non-empty string. Zipkin writes hex (up to 32 digits for trace ids, 16 for
 * span ids), normalized like every hex id; senders in the field also write other
 * strings, kept as opaque ids (DESIGN, edge rule 1) rather than refused. */
static int read_id(struct sm_batch *b, const json_t *v, const char *name, bool required,
                   size_t span_no, const char **out, struct sm_error *err)
{
    char quote[64];

    *out = NULL;
    if (!v || (json_is_string(v) && json_string_length(v) == 0)) {
        if (required)
            return sm_read_fail(err, span_no, "\"%s\" is missing", name);
        return 0;
    }
    if (!json_is_string(v))
        return sm_read_fail(err, span_no, "\"%s\" must be a string, got %s", name,
                            sm_read_describe(v, quote, sizeof(quote)));
    *out = sm_batch_hex_id(b, json_string_value(v));
    if (!*out && required)
        return sm_read_fail(err, span_no, "\"%s\" must not be zero", name);
    return 0;
}

/* An endpoint object and its service name (NULL when absent). */
static int read_endpoint(const json_t *ep, const char *name, size_t span_no, const char **service,
                         struct sm_error *err)
{
    const json_t *v;

    *service = NULL;
    if (!ep)
        return 0;
    if (!json_is_object(ep))
        return sm_read_fail(err, span_no, "\"%s\" must be an object", name);
    v = sm_read_get(ep, "serviceName", NULL, NULL);
    if (v && !json_is_string(v))
        return sm_read_fail(err, span_no, "\"%s.serviceName\" must be a string", name);
    *service = json_string_value(v);
    return 0;
}

static enum sm_span_kind kind_from_name(const char *s)
{
    static const char *const names[] = {"", "", "server", "client", "producer", "consumer"};
    int i;

    for (i = SM_KIND_SERVER; i <= SM_KIND_CONSUMER; i++) {
        if (!sm_strcasecmp(s, names[i]))
            return (enum sm_span_kind)i;
    }
    return SM_KIND_UNSET;
}

static void remote_address(struct sm_batch *b, struct sm_span *s, const json_t *remote)
{
    const json_t *addr = sm_read_get(remote, "ipv4", NULL, NULL);
    const json_t *port = sm_read_get(remote, "port", NULL, NULL);

    if (!json_is_string(addr))
        addr = sm_read_get(remote, "ipv6", NULL, NULL);
    if (!json_is_string(addr))
        return;
    s->server_address = sm_read_text(b, addr);
    if (!s->server_port && json_is_integer(port) && json_integer_value(port) > 0)
        s->server_port = sm_read_text(b, port);
}

/* The address part of the local endpoint's identity (Zipkin compares whole endpoints). */
static void local_address(struct sm_batch *b, struct sm_span *s, const json_t *local)
{
    const char *v4 = json_string_value(sm_read_get(local, "ipv4", NULL, NULL));
    const char *v6 = json_string_value(sm_read_get(local, "ipv6", NULL, NULL));
    const json_t *port = sm_read_get(local, "port", NULL, NULL);
    char tmp[256];

    if (!v4 && !v6 && !json_is_integer(port))
        return;
    snprintf(tmp, sizeof(tmp), "%s|%s|%lld", v4 ? v4 : "", v6 ? v6 : "",
             json_is_integer(port) ? (long long)json_integer_value(port) : 0LL);
    s->local_address = sm_batch_str(b, tmp);
}

enum span_field {
    F_TRACE_ID,
    F_ID,
    F_PARENT_ID,
    F_KIND,
    F_NAME,
    F_TIMESTAMP,
    F_DURATION,
    F_SHARED,
    F_LOCAL,
    F_REMOTE,
    F_TAGS,
    NFIELDS
};

static const struct sm_read_field span_fields[NFIELDS] = {
    [F_TRACE_ID] = {"traceId", NULL, NULL, NULL},
    [F_ID] = {"id", NULL, NULL, NULL},
    [F_PARENT_ID] = {"parentId", NULL, NULL, NULL},
    [F_KIND] = {"kind", NULL, NULL, NULL},
    [F_NAME] = {"name", NULL, NULL, NULL},
    [F_TIMESTAMP] = {"timestamp", NULL, NULL, NULL},
    [F_DURATION] = {"duration", NULL, NULL, NULL},
    [F_SHARED] = {"shared", NULL, NULL, NULL},
    [F_LOCAL] = {"localEndpoint", NULL, NULL, NULL},
    [F_REMOTE] = {"remoteEndpoint", NULL, NULL, NULL},
    [F_TAGS] = {"tags", NULL, NULL, NULL},
};

static int parse_span(const json_t *js, size_t span_no, struct sm_batch *b, struct sm_error *err)
{
    struct sm_read_field f[NFIELDS];
    struct sm_span *s;
    const json_t *v, *tags, *remote;
    const char *key, *service;
    char quote[64];
    int rc;

    if (!json_is_object(js))
        return sm_read_fail(err, span_no, "must be an object, got %s",
                            sm_read_describe(js, quote, sizeof(quote)));
    memcpy(f, span_fields, sizeof(f));
    sm_read_fields(js, f, NFIELDS);
    s = sm_batch_add(b);
    s->format = SM_FORMAT_ZIPKIN;
    rc = read_id(b, f[F_TRACE_ID].value, "traceId", true, span_no, &s->trace_id, err);
    if (!rc)
        rc = read_id(b, f[F_ID].value, "id", true, span_no, &s->span_id, err);
    if (!rc)
        rc = read_id(b, f[F_PARENT_ID].value, "parentId", false, span_no, &s->parent_id, err);
    if (rc)
        return rc;

    v = f[F_KIND].value;
    if (v) {
        if (json_is_string(v))
            s->kind = kind_from_name(json_string_value(v));
        if (s->kind == SM_KIND_UNSET)
            return sm_read_fail(err, span_no,
                                "\"kind\" must be CLIENT, SERVER, PRODUCER or CONSUMER, got %s",
                                sm_read_describe(v, quote, sizeof(quote)));
    }
    rc = sm_read_name(f[F_NAME].value, "name", span_no, b, s, err);
    if (!rc)
        rc = sm_read_times_us(f[F_TIMESTAMP].value, "timestamp", f[F_DURATION].value, span_no, s,
                              err);
    if (rc)
        return rc;

    v = f[F_SHARED].value;
    if (v && !json_is_boolean(v))
        return sm_read_fail(err, span_no, "\"shared\" must be a boolean, got %s",
                            sm_read_describe(v, quote, sizeof(quote)));
    s->shared = json_is_true(v);

    remote = f[F_REMOTE].value;
    rc = read_endpoint(f[F_LOCAL].value, "localEndpoint", span_no, &service, err);
    if (rc)
        return rc;
    s->service = sm_batch_str(b, service);
    local_address(b, s, f[F_LOCAL].value);
    rc = read_endpoint(remote, "remoteEndpoint", span_no, &service, err);
    if (rc)
        return rc;
    s->remote_service = sm_batch_str(b, service);

    tags = f[F_TAGS].value;
    if (tags && !json_is_object(tags))
        return sm_read_fail(err, span_no, "\"tags\" must be an object, got %s",
                            sm_read_describe(tags, quote, sizeof(quote)));
    json_object_foreach((json_t *)tags, key, v)
    {
        if (json_is_null(v))
            continue;
        /* service.namespace and .version: resource attributes that OpenTelemetry's
         * Zipkin exporters copy into the tags */
        if (key[0] == 'e' && !strcmp(key, "error"))
            s->error = true;
        else if (key[0] == 'o' && !strcmp(key, "otel.status_code"))
            s->error |= json_is_string(v) && !sm_strcasecmp(json_string_value(v), "ERROR");
        else if (key[0] == 's' && !strcmp(key, "service.namespace"))
            s->service_namespace = sm_read_text(b, v);
        else if (key[0] == 's' && !strcmp(key, "service.version"))
            s->service_version = sm_read_text(b, v);
        else
            sm_read_apply_attr(b, s, key, v);
    }

    if (remote && !s->remote_service && !s->server_address &&
        (s->kind == SM_KIND_CLIENT || s->kind == SM_KIND_PRODUCER))
        remote_address(b, s, remote);
    return 0;
}

static int parse(const struct sm_element *el, const json_t *value, struct sm_batch *out,
                 struct sm_error *err)
{
    out->format = SM_FORMAT_ZIPKIN;
    return sm_read_span_lists(el, value, "zipkin", parse_span, out, err);
}

const struct sm_reader sm_reader_zipkin = {
    .name = "zipkin",
    .format = SM_FORMAT_ZIPKIN,
    .probe = probe,
    .parse = parse,
};
