/* read_zipkin1.c: the Zipkin v1 JSON reader (/api/v1/spans bodies, /api/v1/traces answers).
 *
 * A v1 span has no kind and no local endpoint of its own: every annotation and binary
 * annotation carries the endpoint (host) that logged it, and the kind follows from the
 * "core" annotations: cs/cr (client send/receive), sr/ss (server receive/send), ms/mr
 * (message send/receive). One v1 span may hold both halves of an RPC, logged by two
 * hosts under one span id. This reader turns each v1 span into v2-shaped spans exactly
 * as Zipkin's own converter (zipkin2.v1.V1SpanConverter) does, so that the linker sees
 * what Zipkin's DependencyLinker sees:
 *
 * - Annotations are taken in (timestamp, value) order, binary annotations in key order.
 *   Each is given to the part (a v2 span) of its endpoint's service name: the first
 *   part takes the first endpoint seen and everything without an endpoint; a new
 *   service name makes a new part. cs/cr make that part a CLIENT, sr/ss a SERVER, ms a
 *   PRODUCER, mr a CONSUMER; the last annotation wins.
 * - cs and sr in one span: the server part is "shared" (it reuses the client's id), with
 *   its own times (sr, ss - sr); the client part keeps the span's timestamp and duration
 *   (or cs, cr - cs). When both were logged by the same service (a loopback call) the
 *   server gets a part of its own. A server part with no cs, whose span has no
 *   timestamp (or a server send but no duration), is shared too. A missing cs (sr) is
 *   made up from the span's timestamp when the span's end is the cr (ss) annotation.
 *   ms and mr are handled the same way, with ws and wr as the wire send and receive.
 * - Binary annotations with a string value are tags of their part ("lc" with an empty
 *   value only names the part's endpoint). A boolean true under "sa", "ca" or "ma" with
 *   an endpoint is an address: "sa" is the remote end of the client part, "ca" of the
 *   server part (its service name dropped when it is the server's own, as Finagle logs
 *   it), "ma" of the producer and consumer parts. Without core annotations, "ca" and
 *   "sa" together make the ca part call sa; "sa" alone is the first part's remote end;
 *   "ca" alone makes the first part a server called from ca. Other values are ignored.
 * - Times of 0 are absent, as in Zipkin; a negative computed duration is unknown.
 *
 * Each part becomes one sm_span: the part's endpoint service is the span's service,
 * its remote endpoint's service the remote service, tags as in Zipkin v2 ("error" of
 * any value or otel.status_code=ERROR fail; an annotation named "error" does not). Ids
 * are hex as in v2: trace ids of up to 32 digits, span ids of up to 16.
 */
#include <stdlib.h>
#include <string.h>

#include "read_common.h"
#include "zipkin1_conv.h"
#include "svcmap/format.h"
#include "svcmap/reader.h"

/* One v2 span in the making. */
struct part {
    const struct sm_zipkin1_endpoint *local;
    const struct sm_zipkin1_endpoint *remote;
    bool drop_remote_service; /* Finagle's "ca" with the server's own name */
    enum sm_span_kind kind;
    int64_t ts_us;  /* 0: absent */
    int64_t dur_us; /* <= 0: absent */
    bool shared;
};

struct conv {
    struct part *parts;
    size_t nparts, cap;
    const struct sm_zipkin1_annotation *cs, *sr, *ss, *cr, *ms, *mr, *ws, *wr;
    struct sm_zipkin1_annotation made_cs, made_sr; /* made up from the span's own times */
    int64_t span_ts_us, span_dur_us; /* the v1 span's timestamp and duration; 0: absent */
};

#define NO_PART ((size_t)-1)

static bool same_text(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return !sm_strcasecmp(a, b);
}

/* Zipkin's hasSameServiceName (its names are lowercased: compare without case). */
static bool same_service(const struct sm_zipkin1_endpoint *a, const struct sm_zipkin1_endpoint *b)
{
    return same_text(a ? a->service : NULL, b ? b->service : NULL);
}

static bool same_endpoint(const struct sm_zipkin1_endpoint *a, const struct sm_zipkin1_endpoint *b)
{
    return same_service(a, b) && same_text(a->ipv4, b->ipv4) && same_text(a->ipv6, b->ipv6) &&
           a->port == b->port;
}

static size_t new_part(struct conv *c, const struct sm_zipkin1_endpoint *ep)
{
    sm_grow(&c->parts, &c->cap, c->nparts + 1, sizeof(*c->parts));
    memset(&c->parts[c->nparts], 0, sizeof(*c->parts));
    c->parts[c->nparts].local = ep;
    return c->nparts++;
}

/* Zipkin's forEndpoint: the part for an endpoint's service (the first part for none). */
static size_t part_for(struct conv *c, const struct sm_zipkin1_endpoint *ep)
{
    size_t i;

    if (!ep)
        return 0;
    for (i = 0; i < c->nparts; i++) {
        if (!c->parts[i].local) {
            c->parts[i].local = ep;
            return i;
        }
        if (same_service(c->parts[i].local, ep))
            return i;
    }
    return new_part(c, ep);
}

/* Times of the part of begin: the span's own when it has both, else the annotations'. */
static void take_times(struct conv *c, const struct sm_zipkin1_annotation *begin,
                       const struct sm_zipkin1_annotation *end)
{
    struct part *p = &c->parts[part_for(c, begin->ep)];

    if (c->span_ts_us && c->span_dur_us) {
        p->ts_us = c->span_ts_us;
        p->dur_us = c->span_dur_us;
        return;
    }
    p->ts_us = begin->ts_us;
    if (end)
        p->dur_us = end->ts_us - begin->ts_us;
}

static bool end_is_span_end(const struct conv *c, const struct sm_zipkin1_annotation *end)
{
    return end && c->span_ts_us && c->span_dur_us && c->span_ts_us + c->span_dur_us == end->ts_us;
}

static void incomplete_rpc(struct conv *c)
{
    size_t i;

    for (i = 0; i < c->nparts; i++) {
        struct part *p = &c->parts[i];

        if (p->kind == SM_KIND_CLIENT && c->cs)
            p->ts_us = c->cs->ts_us;
        else if (p->kind == SM_KIND_SERVER && c->sr)
            p->ts_us = c->sr->ts_us;
    }
    if (c->span_ts_us) {
        c->parts[0].ts_us = c->span_ts_us;
        c->parts[0].dur_us = c->span_dur_us;
    }
}

static void process_annotations(struct conv *c, const struct sm_zipkin1_annotation *ann, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const struct sm_zipkin1_annotation *a = &ann[i];
        struct part *p = &c->parts[part_for(c, a->ep)];
        const char *v = a->value;

        /* core annotations need an endpoint; anything else is only an event */
        if (!a->ep || strlen(v) != 2)
            continue;
        if (!strcmp(v, "cs")) {
            p->kind = SM_KIND_CLIENT;
            c->cs = a;
        } else if (!strcmp(v, "sr")) {
            p->kind = SM_KIND_SERVER;
            c->sr = a;
        } else if (!strcmp(v, "ss")) {
            p->kind = SM_KIND_SERVER;
            c->ss = a;
        } else if (!strcmp(v, "cr")) {
            p->kind = SM_KIND_CLIENT;
            c->cr = a;
        } else if (!strcmp(v, "ms")) {
            p->kind = SM_KIND_PRODUCER;
            c->ms = a;
        } else if (!strcmp(v, "mr")) {
            p->kind = SM_KIND_CONSUMER;
            c->mr = a;
        } else if (!strcmp(v, "ws")) {
            c->ws = a;
        } else if (!strcmp(v, "wr")) {
            c->wr = a;
        }
    }

    /* an event model bridged to spans can lose the start annotation */
    if (!c->cs && end_is_span_end(c, c->cr)) {
        c->made_cs.ts_us = c->span_ts_us;
        c->made_cs.value = "cs";
        c->made_cs.ep = c->cr->ep;
        c->cs = &c->made_cs;
    }
    if (!c->sr && end_is_span_end(c, c->ss)) {
        c->made_sr.ts_us = c->span_ts_us;
        c->made_sr.value = "sr";
        c->made_sr.ep = c->ss->ep;
        c->sr = &c->made_sr;
    }

    if (c->cs && c->sr) {
        size_t client, server;

        /* in a shared span the client owns the span's timestamp and duration */
        take_times(c, c->cs, c->cr);
        client = part_for(c, c->cs->ep);
        if (same_service(c->cs->ep, c->sr->ep)) {
            /* loopback: the server half gets a part of its own */
            c->parts[client].kind = SM_KIND_CLIENT;
            server = new_part(c, c->sr->ep);
            c->parts[server].kind = SM_KIND_SERVER;
        } else {
            server = part_for(c, c->sr->ep);
        }
        c->parts[server].shared = true;
        c->parts[server].ts_us = c->sr->ts_us;
        if (c->ss)
            c->parts[server].dur_us = c->ss->ts_us - c->sr->ts_us;
        if (!c->cr && c->span_dur_us == 0)
            c->parts[client].dur_us = 0; /* one-way: no duration */
    } else if (c->cs && c->cr) {
        take_times(c, c->cs, c->cr);
    } else if (c->sr && c->ss) {
        take_times(c, c->sr, c->ss);
    } else {
        incomplete_rpc(c);
    }

    /* v1 had no shared flag: a server half without a timestamp of its own is shared */
    if (!c->cs && c->sr && (c->span_ts_us == 0 || (c->ss && c->span_dur_us == 0)))
        c->parts[part_for(c, c->sr->ep)].shared = true;

    if (c->ms && c->mr) {
        size_t producer = part_for(c, c->ms->ep), consumer;

        if (same_service(c->ms->ep, c->mr->ep)) {
            c->parts[producer].kind = SM_KIND_PRODUCER;
            consumer = new_part(c, c->mr->ep);
            c->parts[consumer].kind = SM_KIND_CONSUMER;
        } else {
            consumer = part_for(c, c->mr->ep);
        }
        c->parts[consumer].shared = true;
        if (c->wr) {
            c->parts[consumer].ts_us = c->wr->ts_us;
            c->parts[consumer].dur_us = c->mr->ts_us - c->wr->ts_us;
        } else {
            c->parts[consumer].ts_us = c->mr->ts_us;
        }
        c->parts[producer].ts_us = c->ms->ts_us;
        c->parts[producer].dur_us = c->ws ? c->ws->ts_us - c->ms->ts_us : 0;
    } else if (c->ms) {
        take_times(c, c->ms, c->ws);
    } else if (c->mr) {
        if (c->wr)
            take_times(c, c->wr, c->mr);
        else
            take_times(c, c->mr, NULL);
    }
}

static void process_binary(struct conv *c, struct sm_zipkin1_binary *bin, size_t n)
{
    const struct sm_zipkin1_endpoint *ca = NULL, *sa = NULL, *ma = NULL;
    const struct sm_zipkin1_annotation *server;
    size_t i;

    for (i = 0; i < n; i++) {
        struct sm_zipkin1_binary *b = &bin[i];

        b->part = NO_PART;
        if (!b->value) {
            if (!strcmp(b->key, "ca"))
                ca = b->ep;
            else if (!strcmp(b->key, "sa"))
                sa = b->ep;
            else if (!strcmp(b->key, "ma"))
                ma = b->ep;
            continue;
        }
        b->part = part_for(c, b->ep);
        /* "lc" with no value only says which host logged a local span */
        if (!strcmp(b->key, "lc") && !b->value[0])
            b->part = NO_PART;
    }

    if (!c->cs && !c->cr && !c->ss && !c->sr && (ca || sa)) {
        if (ca && sa) {
            c->parts[part_for(c, ca)].remote = sa;
        } else if (sa) {
            c->parts[0].remote = sa; /* a remote address alone does not make a client */
        } else {
            c->parts[0].kind = SM_KIND_SERVER;
            c->parts[0].remote = ca;
        }
        return;
    }
    server = c->sr ? c->sr : c->ss;
    if (ca && server && !same_endpoint(ca, server->ep)) {
        struct part *p = &c->parts[part_for(c, server->ep)];

        p->remote = ca;
        /* Finagle logs the client's socket under the server's own name: no loopback */
        p->drop_remote_service = same_service(ca, server->ep);
    }
    if (sa) {
        if (c->cs)
            c->parts[part_for(c, c->cs->ep)].remote = sa;
        else if (c->cr)
            c->parts[part_for(c, c->cr->ep)].remote = sa;
    }
    if (ma) {
        if (c->ms)
            c->parts[part_for(c, c->ms->ep)].remote = ma;
        if (c->mr)
            c->parts[part_for(c, c->mr->ep)].remote = ma;
    }
}

/* ---- reading the JSON ---- */

/* An id: a non-empty string; hex normalized, anything else kept as an opaque id, as the
 * v2 reader does (DESIGN, edge rule 1). */
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

/* A whole number of microseconds (0 when absent), for span and annotation times. */
static int read_us(const json_t *v, const char *what, const char *name, size_t span_no,
                   int64_t *out, struct sm_error *err)
{
    char quote[64];
    int64_t ns;

    *out = 0;
    if (!v)
        return 0;
    if (sm_read_int64(v, out) != 0 || *out < 0 || sm_read_us_to_ns(*out, &ns) != 0)
        return sm_read_fail(err, span_no,
                            "%s\"%s\" must be a non-negative integer of microseconds, got %s", what,
                            name, sm_read_describe(v, quote, sizeof(quote)));
    return 0;
}

/* An endpoint into *out; *present is false for null or one with no field set. */
static int read_endpoint(const json_t *v, const char *what, size_t span_no,
                         struct sm_zipkin1_endpoint *out, bool *present, struct sm_error *err)
{
    const json_t *name, *port;

    memset(out, 0, sizeof(*out));
    *present = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return sm_read_fail(err, span_no, "%s\"endpoint\" must be an object", what);
    name = sm_read_get(v, "serviceName", NULL, NULL);
    if (name && !json_is_string(name))
        return sm_read_fail(err, span_no, "%s\"endpoint.serviceName\" must be a string", what);
    out->service = name && json_string_length(name) ? json_string_value(name) : NULL;
    out->ipv4 = json_string_value(sm_read_get(v, "ipv4", NULL, NULL));
    out->ipv6 = json_string_value(sm_read_get(v, "ipv6", NULL, NULL));
    port = sm_read_get(v, "port", NULL, NULL);
    if (json_is_integer(port) && json_integer_value(port) > 0)
        out->port = (long long)json_integer_value(port);
    *present = out->service || out->ipv4 || out->ipv6 || out->port;
    return 0;
}

static int cmp_annotation(const void *a, const void *b)
{
    const struct sm_zipkin1_annotation *x = a, *y = b;
    int v;

    if (x->ts_us != y->ts_us)
        return x->ts_us < y->ts_us ? -1 : 1;
    v = strcmp(x->value, y->value);
    if (v)
        return v;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_binary(const void *a, const void *b)
{
    const struct sm_zipkin1_binary *x = a, *y = b;
    int v = strcmp(x->key, y->key);

    if (v)
        return v;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* What one v1 span holds, read from its JSON. */
struct v1_span {
    struct sm_zipkin1_annotation *ann;
    size_t nann;
    struct sm_zipkin1_binary *bin;
    size_t nbin;
    struct sm_zipkin1_endpoint *eps; /* one per annotation and binary annotation */
};

static void v1_span_release(struct v1_span *v)
{
    free(v->ann);
    free(v->bin);
    free(v->eps);
}

static int read_annotations(const json_t *list, size_t span_no, struct v1_span *v,
                            struct sm_error *err)
{
    char what[48];
    const json_t *a;
    size_t i;
    int rc;

    if (!list)
        return 0;
    if (!json_is_array(list))
        return sm_read_fail(err, span_no, "\"annotations\" must be an array");
    json_array_foreach(list, i, a)
    {
        struct sm_zipkin1_annotation *an = &v->ann[v->nann];
        const json_t *value;
        bool present;

        snprintf(what, sizeof(what), "annotation %zu: ", i + 1);
        if (!json_is_object(a))
            return sm_read_fail(err, span_no, "annotation %zu must be an object", i + 1);
        rc = read_us(sm_read_get(a, "timestamp", NULL, NULL), what, "timestamp", span_no,
                     &an->ts_us, err);
        if (rc)
            return rc;
        value = sm_read_get(a, "value", NULL, NULL);
        if (!sm_read_get(a, "timestamp", NULL, NULL) || !json_is_string(value))
            return sm_read_fail(
                err, span_no, "annotation %zu needs a \"timestamp\" and a string \"value\"", i + 1);
        rc = read_endpoint(json_object_get(a, "endpoint"), what, span_no, &v->eps[v->nann],
                           &present, err);
        if (rc)
            return rc;
        an->value = json_string_value(value);
        an->ep = present ? &v->eps[v->nann] : NULL;
        an->index = i;
        v->nann++;
    }
    return 0;
}

static int read_binary(const json_t *list, size_t span_no, struct v1_span *v, struct sm_error *err)
{
    char what[56];
    const json_t *a;
    size_t i;
    int rc;

    if (!list)
        return 0;
    if (!json_is_array(list))
        return sm_read_fail(err, span_no, "\"binaryAnnotations\" must be an array");
    json_array_foreach(list, i, a)
    {
        struct sm_zipkin1_endpoint *ep = &v->eps[v->nann + v->nbin];
        struct sm_zipkin1_binary *b = &v->bin[v->nbin];
        const json_t *key, *value;
        bool present;

        snprintf(what, sizeof(what), "binary annotation %zu: ", i + 1);
        if (!json_is_object(a))
            return sm_read_fail(err, span_no, "binary annotation %zu must be an object", i + 1);
        key = sm_read_get(a, "key", NULL, NULL);
        if (!json_is_string(key))
            return sm_read_fail(err, span_no, "binary annotation %zu needs a string \"key\"",
                                i + 1);
        rc = read_endpoint(json_object_get(a, "endpoint"), what, span_no, ep, &present, err);
        if (rc)
            return rc;
        value = sm_read_get(a, "value", NULL, NULL);
        b->key = json_string_value(key);
        b->ep = present ? ep : NULL;
        b->index = i;
        if (json_is_string(value)) {
            b->value = json_string_value(value);
        } else if (json_is_true(value) && present &&
                   (!strcmp(b->key, "sa") || !strcmp(b->key, "ca") || !strcmp(b->key, "ma"))) {
            b->value = NULL; /* an address */
        } else {
            continue; /* Zipkin keeps only string tags and addresses */
        }
        v->nbin++;
    }
    return 0;
}

/* ---- one part -> one sm_span ---- */

static void set_local_address(struct sm_batch *b, struct sm_span *s,
                              const struct sm_zipkin1_endpoint *ep)
{
    char tmp[256];

    if (!ep || (!ep->ipv4 && !ep->ipv6 && !ep->port))
        return;
    snprintf(tmp, sizeof(tmp), "%s|%s|%lld", ep->ipv4 ? ep->ipv4 : "", ep->ipv6 ? ep->ipv6 : "",
             ep->port);
    s->local_address = sm_batch_str(b, tmp);
}

/* A tag (a binary annotation with a string value), as sm_read_apply_attr would apply a
 * JSON string. */
static void apply_tag(struct sm_batch *b, struct sm_span *s, const char *key, const char *v)
{
    const char **field;
    int64_t code;

    if (key[0] == 'e' && !strcmp(key, "error")) {
        s->error = true;
        return;
    }
    if (key[0] == 'o' && !strcmp(key, "otel.status_code")) {
        s->error |= !sm_strcasecmp(v, "ERROR");
        return;
    }
    if (key[0] == 's' && !strcmp(key, "service.namespace")) {
        s->service_namespace = sm_batch_str(b, v);
        return;
    }
    if (key[0] == 's' && !strcmp(key, "service.version")) {
        s->service_version = sm_batch_str(b, v);
        return;
    }
    switch (sm_read_attr_target(s, key, &field)) {
    case SM_READ_ATTR_TEXT:
        *field = sm_batch_str(b, v);
        break;
    case SM_READ_ATTR_HTTP_STATUS:
        if (sm_read_decimal(v, &code) == 0)
            sm_read_set_http_status(s, code);
        break;
    case SM_READ_ATTR_NONE:
        break;
    }
}

void sm_zipkin1_convert(struct sm_batch *b, struct sm_zipkin1_span *v)
{
    struct conv c;
    const char *parent_id = v->parent_id;
    size_t i, k;

    memset(&c, 0, sizeof(c));
    c.span_ts_us = v->ts_us;
    c.span_dur_us = v->dur_us;
    if (parent_id && !strcmp(parent_id, v->span_id))
        parent_id = NULL; /* Zipkin drops a parent id equal to the span's own */
    if (v->nann > 1)
        qsort(v->ann, v->nann, sizeof(*v->ann), cmp_annotation);
    if (v->nbin > 1)
        qsort(v->bin, v->nbin, sizeof(*v->bin), cmp_binary);

    new_part(&c, NULL);
    process_annotations(&c, v->ann, v->nann);
    process_binary(&c, v->bin, v->nbin);

    for (i = 0; i < c.nparts; i++) {
        const struct part *p = &c.parts[i];
        struct sm_span *s = sm_batch_add(b);

        s->format = SM_FORMAT_ZIPKIN1;
        s->trace_id = v->trace_id;
        s->span_id = v->span_id;
        s->parent_id = parent_id;
        s->name = sm_batch_str(b, v->name);
        s->kind = p->kind;
        s->shared = p->shared && p->kind != SM_KIND_CLIENT;
        if (p->ts_us > 0)
            s->start_ns = p->ts_us * 1000;
        if (p->dur_us > 0) {
            s->duration_ns = p->dur_us * 1000;
            s->has_duration = true;
        }
        if (p->local) {
            s->service = sm_batch_str(b, p->local->service);
            set_local_address(b, s, p->local);
        }
        for (k = 0; k < v->nbin; k++) {
            if (v->bin[k].part == i)
                apply_tag(b, s, v->bin[k].key, v->bin[k].value);
        }
        if (p->remote) {
            if (!p->drop_remote_service)
                s->remote_service = sm_batch_str(b, p->remote->service);
            /* a client's remote address names the server when nothing else does */
            if (!s->remote_service && !s->server_address &&
                (s->kind == SM_KIND_CLIENT || s->kind == SM_KIND_PRODUCER)) {
                const char *addr = p->remote->ipv4 ? p->remote->ipv4 : p->remote->ipv6;
                char port[24];

                s->server_address = sm_batch_str(b, addr);
                if (addr && p->remote->port && !s->server_port) {
                    snprintf(port, sizeof(port), "%lld", p->remote->port);
                    s->server_port = sm_batch_str(b, port);
                }
            }
        }
    }
    free(c.parts);
}

static int parse_span(const json_t *js, size_t span_no, struct sm_batch *b, struct sm_error *err)
{
    struct v1_span v;
    struct sm_zipkin1_span sp;
    const json_t *ann, *bin;
    size_t nann, nbin;
    char quote[64];
    int rc;

    memset(&v, 0, sizeof(v));
    memset(&sp, 0, sizeof(sp));
    if (!json_is_object(js))
        return sm_read_fail(err, span_no, "must be an object, got %s",
                            sm_read_describe(js, quote, sizeof(quote)));
    rc = read_id(b, sm_read_get(js, "traceId", NULL, NULL), "traceId", true, span_no, &sp.trace_id,
                 err);
    if (!rc)
        rc = read_id(b, sm_read_get(js, "id", NULL, NULL), "id", true, span_no, &sp.span_id, err);
    if (!rc)
        rc = read_id(b, sm_read_get(js, "parentId", NULL, NULL), "parentId", false, span_no,
                     &sp.parent_id, err);
    if (!rc)
        rc = read_us(sm_read_get(js, "timestamp", NULL, NULL), "", "timestamp", span_no, &sp.ts_us,
                     err);
    if (!rc)
        rc = read_us(sm_read_get(js, "duration", NULL, NULL), "", "duration", span_no, &sp.dur_us,
                     err);
    if (rc)
        return rc;
    if (sm_read_get(js, "name", NULL, NULL) && !json_is_string(json_object_get(js, "name")))
        return sm_read_fail(err, span_no, "\"name\" must be a string, got %s",
                            sm_read_describe(json_object_get(js, "name"), quote, sizeof(quote)));
    sp.name = json_string_value(json_object_get(js, "name"));

    ann = sm_read_get(js, "annotations", NULL, NULL);
    bin = sm_read_get(js, "binaryAnnotations", NULL, NULL);
    nann = json_is_array(ann) ? json_array_size(ann) : 0;
    nbin = json_is_array(bin) ? json_array_size(bin) : 0;
    v.ann = sm_xmalloc((nann ? nann : 1) * sizeof(*v.ann));
    v.bin = sm_xmalloc((nbin ? nbin : 1) * sizeof(*v.bin));
    v.eps = sm_xmalloc((nann + nbin ? nann + nbin : 1) * sizeof(*v.eps));
    rc = read_annotations(ann, span_no, &v, err);
    if (!rc)
        rc = read_binary(bin, span_no, &v, err);
    if (!rc) {
        sp.ann = v.ann;
        sp.nann = v.nann;
        sp.bin = v.bin;
        sp.nbin = v.nbin;
        sm_zipkin1_convert(b, &sp);
    }
    v1_span_release(&v);
    return rc;
}

/* ---- the reader ---- */

/* A v1 span: Zipkin ids, no v2 field, and a binary annotation list or an annotation
 * logged by an endpoint (v2 annotations have no endpoint). */
static bool looks_like_v1(const json_t *v)
{
    const json_t *ann, *a;
    size_t i;

    if (!json_is_object(v) || !json_is_string(json_object_get(v, "traceId")) ||
        !json_object_get(v, "id"))
        return false;
    if (json_object_get(v, "localEndpoint") || json_object_get(v, "remoteEndpoint") ||
        json_object_get(v, "kind") || json_object_get(v, "tags") || json_object_get(v, "shared"))
        return false;
    if (json_is_array(json_object_get(v, "binaryAnnotations")))
        return true;
    ann = json_object_get(v, "annotations");
    json_array_foreach(ann, i, a)
    {
        if (json_is_object(json_object_get(a, "endpoint")))
            return true;
    }
    return false;
}

static int probe(const struct sm_element *el, const json_t *value)
{
    const json_t *first;

    (void)el;
    if (looks_like_v1(value))
        return 95; /* above the v2 reader, which would read such spans as service-less */
    if (!json_is_array(value))
        return 0;
    first = json_array_get(value, 0);
    if (looks_like_v1(first) || (json_is_array(first) && looks_like_v1(json_array_get(first, 0))))
        return 95;
    return 0;
}

static int parse(const struct sm_element *el, const json_t *value, struct sm_batch *out,
                 struct sm_error *err)
{
    out->format = SM_FORMAT_ZIPKIN1;
    return sm_read_span_lists(el, value, "zipkin v1", parse_span, out, err);
}

const struct sm_reader sm_reader_zipkin1 = {
    .name = "zipkin1",
    .format = SM_FORMAT_ZIPKIN1,
    .probe = probe,
    .parse = parse,
};

/* The bytes of a v1 span: Zipkin's "traceId" with binary annotations or annotations
 * logged by an endpoint, and none of v2's endpoint fields. */
static int sniff(const char *head, size_t len, bool complete)
{
    (void)complete;
    if (!sm_sniff_has_key(head, len, "traceId") || sm_sniff_has_key(head, len, "localEndpoint") ||
        sm_sniff_has_key(head, len, "remoteEndpoint"))
        return 0;
    if (sm_sniff_has_key(head, len, "binaryAnnotations") || sm_sniff_has_key(head, len, "endpoint"))
        return 95;
    return 0;
}

const struct sm_format sm_format_zipkin1 = {
    .name = "zipkin1",
    .id = SM_FORMAT_ZIPKIN1,
    .summary = "Zipkin v1 JSON (annotations and binaryAnnotations)",
    .spans = true,
    .sniff = sniff,
    .read = sm_read_json_elements,
    .elements = &sm_reader_zipkin1,
};
