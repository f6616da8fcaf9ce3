/* sax_zipkin.c: the streaming Zipkin v2 reader, a state machine over yajl's events.
 *
 * Reads what read_zipkin.c reads, to the same spans, without a tree: an element is one
 * span (an item of a flat array), one trace (an array of spans, an item of an
 * /api/v2/traces answer) or a whole array of traces. The first item of an array says
 * which, as in read_zipkin.c. What depends on several fields is settled when the span
 * closes: the remote endpoint's address stands in for server.address only for a CLIENT
 * or PRODUCER span that names no remote service and has no server.address tag, and the
 * local endpoint's address is one "ipv4|ipv6|port" string.
 *
 * What it does not take as plainly good goes back to read_zipkin.c (SM_SAX_FALLBACK):
 * a bad span or field, a key given twice (among the fields and tags it reads), a tag
 * whose value is an object or array (other than "error"), and the complaints.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "read_common.h"
#include "sax_common.h"
#include "svcmap/reader.h"
#include "svcmap/sax.h"

enum slot {
    V_SKIP = 0,
    V_ROOT,  /* the element */
    V_FIRST, /* the first item of the element's array: a span or a trace */
    V_TRACE, /* an item of an array of traces */
    V_SPAN,  /* an item of a trace */
    V_TRACE_ID,
    V_ID,
    V_PARENT_ID,
    V_KIND,
    V_NAME,
    V_TIMESTAMP,
    V_DURATION,
    V_SHARED,
    V_LOCAL,
    V_REMOTE,
    V_TAGS,
    V_EP_SERVICE,
    V_EP_IPV4,
    V_EP_IPV6,
    V_EP_PORT,
    V_TAG,
};

enum role { C_TRACES, C_TRACE, C_SPAN, C_LOCAL, C_REMOTE, C_TAGS };

/* One endpoint as read_zipkin.c looks at it. */
struct endpoint {
    bool present;
    const char *service; /* arena copy, NULL when none or "" */
    bool has_v4, has_v6, has_port;
    struct sm_buf v4, v6; /* NUL-terminated when has_v4, has_v6 */
    int64_t port;
};

struct ctx {
    struct sm_sax_walk w; /* first: the handlers cast it back */
    struct sm_batch *b;
    enum slot slot;
    bool traces; /* the element is an array of traces */
    bool array;  /* the element is an array */

    size_t span;
    bool has_trace, has_id;
    struct endpoint local, remote;
    int tag; /* which known tag the next value belongs to, or -1 */
    unsigned tags_seen;
    struct sm_buf value;
};

static void value_done(struct sm_sax_walk *w)
{
    struct ctx *c = (struct ctx *)w;
    struct sm_sax_frame *f = sm_sax_top(w);

    if (!f) {
        w->root_done = true;
        c->slot = V_SKIP;
        return;
    }
    if (f->role == C_TRACES)
        c->slot = V_TRACE;
    else if (f->role == C_TRACE)
        c->slot = V_SPAN;
    else
        c->slot = V_SKIP;
}

static struct sm_span *cur_span(struct ctx *c)
{
    return &c->b->spans[c->span];
}

static struct endpoint *cur_endpoint(struct ctx *c)
{
    return sm_sax_top(&c->w)->role == C_LOCAL ? &c->local : &c->remote;
}

/* The tags read_zipkin.c gives a meaning to (a second one of these falls back), with
 * their lengths. */
enum tag {
    TAG_ERROR = 0,
    TAG_STATUS,
    TAG_NAMESPACE,
    TAG_VERSION,
    TAG_DB_SYSTEM_NAME,
    TAG_DB_SYSTEM,
    TAG_DB_NAMESPACE,
    TAG_DB_NAME,
    TAG_HTTP_RESPONSE_STATUS,
    TAG_HTTP_STATUS,
    TAG_HTTP_HOST,
    TAG_MESSAGING_SYSTEM,
    TAG_DESTINATION_NAME,
    TAG_DESTINATION,
    TAG_NET_PEER_NAME,
    TAG_PEER_SERVICE,
    TAG_SERVER_ADDRESS,
    TAG_SERVER_PORT,
    NTAGS
};
#define TAG(id, s) [id] = {s, sizeof(s) - 1}
static const struct {
    const char *name;
    size_t len;
} known_tags[NTAGS] = {
    TAG(TAG_ERROR, "error"),
    TAG(TAG_STATUS, "otel.status_code"),
    TAG(TAG_NAMESPACE, "service.namespace"),
    TAG(TAG_VERSION, "service.version"),
    TAG(TAG_DB_SYSTEM_NAME, "db.system.name"),
    TAG(TAG_DB_SYSTEM, "db.system"),
    TAG(TAG_DB_NAMESPACE, "db.namespace"),
    TAG(TAG_DB_NAME, "db.name"),
    TAG(TAG_HTTP_RESPONSE_STATUS, "http.response.status_code"),
    TAG(TAG_HTTP_STATUS, "http.status_code"),
    TAG(TAG_HTTP_HOST, "http.host"),
    TAG(TAG_MESSAGING_SYSTEM, "messaging.system"),
    TAG(TAG_DESTINATION_NAME, "messaging.destination.name"),
    TAG(TAG_DESTINATION, "messaging.destination"),
    TAG(TAG_NET_PEER_NAME, "net.peer.name"),
    TAG(TAG_PEER_SERVICE, "peer.service"),
    TAG(TAG_SERVER_ADDRESS, "server.address"),
    TAG(TAG_SERVER_PORT, "server.port"),
};
#undef TAG

/* The index in known_tags of the tag key (len bytes), or -1: by the length first, then
 * compared with each name of that length (constant sizes, which the compiler compares a
 * word at a time), so that the many tags nobody reads cost a switch and a comparison or
 * two. A tag added to known_tags needs its line here. */
static int known_tag(const char *key, size_t len)
{
/* the case's length is a constant n, for the comparison */
#define IS(id, n)                                                                                  \
    if (!memcmp(key, known_tags[id].name, n))                                                      \
    return id
    switch (len) {
    case 5:
        IS(TAG_ERROR, 5);
        break;
    case 7:
        IS(TAG_DB_NAME, 7);
        break;
    case 9:
        IS(TAG_DB_SYSTEM, 9);
        IS(TAG_HTTP_HOST, 9);
        break;
    case 11:
        IS(TAG_SERVER_PORT, 11);
        break;
    case 12:
        IS(TAG_DB_NAMESPACE, 12);
        IS(TAG_PEER_SERVICE, 12);
        break;
    case 13:
        IS(TAG_NET_PEER_NAME, 13);
        break;
    case 14:
        IS(TAG_DB_SYSTEM_NAME, 14);
        IS(TAG_SERVER_ADDRESS, 14);
        break;
    case 15:
        IS(TAG_VERSION, 15);
        break;
    case 16:
        IS(TAG_STATUS, 16);
        IS(TAG_HTTP_STATUS, 16);
        IS(TAG_MESSAGING_SYSTEM, 16);
        break;
    case 17:
        IS(TAG_NAMESPACE, 17);
        break;
    case 21:
        IS(TAG_DESTINATION, 21);
        break;
    case 25:
        IS(TAG_HTTP_RESPONSE_STATUS, 25);
        break;
    case 26:
        IS(TAG_DESTINATION_NAME, 26);
        break;
    default:
        break;
    }
#undef IS
    return -1;
}

/* read_zipkin.c's read_id: 1 to max_digits hex digits, "" is absent. The text has no
 * NUL (sm_sax_precheck), so its bytes are what read_zipkin.c reads. */
static int read_id(struct ctx *c, const struct sm_sax_scalar *v, size_t max_digits,
                   const char **out)
{
    bool ok = false;

    *out = NULL;
    if (v->type != SM_SAX_STRING || v->len > max_digits)
        return -1;
    *out = sm_batch_strict_hex_id_n(c->b, v->s, v->len, &ok);
    return ok ? 0 : -1;
}

static int on_tag(struct ctx *c, const struct sm_sax_scalar *v)
{
    struct sm_span *s = cur_span(c);

    if (v->type == SM_SAX_NULL || c->tag < 0)
        return 1;
    switch (c->tag) {
    case TAG_ERROR:
        s->error = true;
        break;
    case TAG_STATUS:
        if (v->type == SM_SAX_STRING && v->len == 5 && !strncasecmp(v->s, "ERROR", 5))
            s->error = true;
        break;
    case TAG_NAMESPACE:
        s->service_namespace = sm_sax_text(c->b, v);
        break;
    case TAG_VERSION:
        s->service_version = sm_sax_text(c->b, v);
        break;
    default:
        sm_sax_apply_attr(c->b, s, known_tags[c->tag].name, known_tags[c->tag].len, v);
        break;
    }
    return 1;
}

static int on_scalar(struct sm_sax_walk *w, const struct sm_sax_scalar *v)
{
    struct ctx *c = (struct ctx *)w;
    struct sm_span *s;
    struct endpoint *ep;
    int rc = 0;

    if (c->slot == V_TAG)
        sm_sax_mark(w); /* the next tag may be passed over */
    if (v->type == SM_SAX_NULL && c->slot != V_ROOT && c->slot != V_FIRST && c->slot != V_TRACE &&
        c->slot != V_SPAN) {
        value_done(w); /* null is absent */
        return 1;
    }
    switch (c->slot) {
    case V_SKIP:
        break;
    case V_TRACE_ID:
        if (v->type == SM_SAX_STRING && v->len == 0)
            break; /* missing: checked at the end */
        rc = read_id(c, v, 32, &cur_span(c)->trace_id);
        if (!rc && !cur_span(c)->trace_id)
            rc = -1;
        c->has_trace = !rc;
        break;
    case V_ID:
        if (v->type == SM_SAX_STRING && v->len == 0)
            break;
        rc = read_id(c, v, 16, &cur_span(c)->span_id);
        if (!rc && !cur_span(c)->span_id)
            rc = -1;
        c->has_id = !rc;
        break;
    case V_PARENT_ID:
        if (v->type == SM_SAX_STRING && v->len == 0)
            break;
        rc = read_id(c, v, 16, &cur_span(c)->parent_id);
        break;
    case V_KIND: {
        static const char *const names[] = {"", "", "server", "client", "producer", "consumer"};
        int i;

        rc = -1;
        if (v->type == SM_SAX_STRING) {
            for (i = SM_KIND_SERVER; i <= SM_KIND_CONSUMER; i++) {
                if (sm_sax_ieq(v->s, v->len, names[i])) {
                    cur_span(c)->kind = (enum sm_span_kind)i;
                    rc = 0;
                    break;
                }
            }
        }
        break;
    }
    case V_NAME:
        if (v->type != SM_SAX_STRING)
            return sm_sax_fall_back(w);
        cur_span(c)->name = v->len ? sm_arena_strndup(&c->b->arena, v->s, v->len) : NULL;
        break;
    case V_TIMESTAMP:
        rc = sm_sax_us(v, &cur_span(c)->start_ns);
        break;
    case V_DURATION:
        s = cur_span(c);
        rc = sm_sax_us(v, &s->duration_ns);
        s->has_duration = !rc;
        break;
    case V_SHARED:
        if (v->type != SM_SAX_TRUE && v->type != SM_SAX_FALSE)
            return sm_sax_fall_back(w);
        cur_span(c)->shared = v->type == SM_SAX_TRUE;
        break;
    case V_EP_SERVICE:
        if (v->type != SM_SAX_STRING)
            return sm_sax_fall_back(w);
        cur_endpoint(c)->service = v->len ? sm_arena_strndup(&c->b->arena, v->s, v->len) : NULL;
        break;
    case V_EP_IPV4:
        ep = cur_endpoint(c);
        if (v->type == SM_SAX_STRING) {
            sm_sax_copy(&ep->v4, v);
            ep->has_v4 = true;
        }
        break;
    case V_EP_IPV6:
        ep = cur_endpoint(c);
        if (v->type == SM_SAX_STRING) {
            sm_sax_copy(&ep->v6, v);
            ep->has_v6 = true;
        }
        break;
    case V_EP_PORT:
        ep = cur_endpoint(c);
        if (v->type == SM_SAX_INT) {
            ep->has_port = true;
            ep->port = v->i;
        }
        break;
    case V_TAG:
        on_tag(c, v);
        break;
    default:
        return sm_sax_fall_back(w); /* a span, a trace or an object was expected */
    }
    if (rc)
        return sm_sax_fall_back(w);
    value_done(w);
    return 1;
}

static void endpoint_reset(struct endpoint *ep)
{
    ep->present = false;
    ep->service = NULL;
    ep->has_v4 = ep->has_v6 = ep->has_port = false;
    ep->port = 0;
}

static void begin_span(struct ctx *c)
{
    struct sm_span *s;

    c->span = c->b->len;
    s = sm_batch_add(c->b);
    s->format = SM_FORMAT_ZIPKIN;
    c->has_trace = c->has_id = false;
    c->tags_seen = 0;
    endpoint_reset(&c->local);
    endpoint_reset(&c->remote);
}

static int on_start_map(struct sm_sax_walk *w)
{
    struct ctx *c = (struct ctx *)w;
    enum role role;

    switch (c->slot) {
    case V_SKIP:
        return sm_sax_skip(w);
    case V_ROOT:
    case V_FIRST:
    case V_SPAN:
        role = C_SPAN;
        begin_span(c);
        break;
    case V_LOCAL:
        role = C_LOCAL;
        c->local.present = true;
        break;
    case V_REMOTE:
        role = C_REMOTE;
        c->remote.present = true;
        break;
    case V_TAGS:
        role = C_TAGS;
        break;
    case V_TAG:
        if (c->tag == TAG_ERROR) {
            cur_span(c)->error = true; /* any value but null */
            return sm_sax_skip(w);
        }
        if (c->tag < 0)
            return sm_sax_skip(w);
        return sm_sax_fall_back(w);
    case V_EP_IPV4:
    case V_EP_IPV6:
    case V_EP_PORT:
        return sm_sax_skip(w); /* not a string or integer: as if absent */
    default:
        return sm_sax_fall_back(w);
    }
    if (!sm_sax_push(w, role))
        return sm_sax_fall_back(w);
    if (role == C_TAGS)
        sm_sax_mark(w); /* its first tag may be passed over */
    c->slot = V_SKIP;
    return 1;
}

static int on_start_array(struct sm_sax_walk *w)
{
    struct ctx *c = (struct ctx *)w;

    switch (c->slot) {
    case V_SKIP:
        return sm_sax_skip(w);
    case V_ROOT:
        c->array = true;
        c->slot = V_FIRST;
        return sm_sax_push(w, C_TRACE) ? 1 : sm_sax_fall_back(w);
    case V_FIRST:
        /* the first item is an array: the element is an array of traces */
        c->traces = true;
        sm_sax_top(w)->role = C_TRACES;
        if (!sm_sax_push(w, C_TRACE))
            return sm_sax_fall_back(w);
        value_done(w);
        return 1;
    case V_TRACE:
        if (!sm_sax_push(w, C_TRACE))
            return sm_sax_fall_back(w);
        value_done(w);
        return 1;
    case V_TAG:
        if (c->tag == TAG_ERROR) {
            cur_span(c)->error = true;
            return sm_sax_skip(w);
        }
        if (c->tag < 0)
            return sm_sax_skip(w);
        return sm_sax_fall_back(w);
    case V_EP_IPV4:
    case V_EP_IPV6:
    case V_EP_PORT:
        return sm_sax_skip(w);
    default:
        return sm_sax_fall_back(w);
    }
}

/* A span's member by its key (len bytes), and its bit in the span's seen set; V_SKIP
 * for the members nobody reads. By the length first, then the bytes. */
static enum slot span_key(const char *key, size_t len, unsigned *bit)
{
    enum slot slot = V_SKIP;

    switch (len) {
    case 2:
        if (SM_SAX_KEY_IS("id"))
            slot = V_ID;
        break;
    case 4:
        if (SM_SAX_KEY_IS("kind"))
            slot = V_KIND;
        else if (SM_SAX_KEY_IS("name"))
            slot = V_NAME;
        else if (SM_SAX_KEY_IS("tags"))
            slot = V_TAGS;
        break;
    case 6:
        if (SM_SAX_KEY_IS("shared"))
            slot = V_SHARED;
        break;
    case 7:
        if (SM_SAX_KEY_IS("traceId"))
            slot = V_TRACE_ID;
        break;
    case 8:
        if (SM_SAX_KEY_IS("parentId"))
            slot = V_PARENT_ID;
        else if (SM_SAX_KEY_IS("duration"))
            slot = V_DURATION;
        break;
    case 9:
        if (SM_SAX_KEY_IS("timestamp"))
            slot = V_TIMESTAMP;
        break;
    case 13:
        if (SM_SAX_KEY_IS("localEndpoint"))
            slot = V_LOCAL;
        break;
    case 14:
        if (SM_SAX_KEY_IS("remoteEndpoint"))
            slot = V_REMOTE;
        break;
    default:
        break;
    }
    /* the slots of a span's members are distinct: one bit each */
    *bit = slot == V_SKIP ? 0 : 1u << slot;
    return slot;
}

static int on_map_key(struct sm_sax_walk *w, const char *key, size_t len)
{
    struct ctx *c = (struct ctx *)w;
    struct sm_sax_frame *f = sm_sax_top(w);
    unsigned bit = 0;

    c->slot = V_SKIP;
    if (len == 0)
        return 1;
    switch (f->role) {
    case C_SPAN:
        c->slot = span_key(key, len, &bit);
        break;
    case C_LOCAL:
    case C_REMOTE:
        if (SM_SAX_KEY_IS("serviceName")) {
            c->slot = V_EP_SERVICE;
            bit = 1;
        } else if (SM_SAX_KEY_IS("ipv4")) {
            c->slot = V_EP_IPV4;
            bit = 2;
        } else if (SM_SAX_KEY_IS("ipv6")) {
            c->slot = V_EP_IPV6;
            bit = 4;
        } else if (SM_SAX_KEY_IS("port")) {
            c->slot = V_EP_PORT;
            bit = 8;
        }
        break;
    case C_TAGS:
        c->slot = V_TAG;
        c->tag = known_tag(key, len);
        if (c->tag >= 0) {
            if (c->tags_seen & (1u << c->tag))
                return sm_sax_fall_back(w);
            c->tags_seen |= 1u << c->tag;
        }
        return 1;
    default:
        return sm_sax_fall_back(w);
    }
    if (bit && !sm_sax_first_key(f, bit))
        return sm_sax_fall_back(w);
    return 1;
}

static void end_span(struct ctx *c)
{
    struct sm_span *s = cur_span(c);
    const struct endpoint *l = &c->local, *r = &c->remote;

    s->service = l->service;
    if (l->has_v4 || l->has_v6 || l->has_port) {
        char tmp[256];

        snprintf(tmp, sizeof(tmp), "%s|%s|%lld", l->has_v4 ? l->v4.data : "",
                 l->has_v6 ? l->v6.data : "", l->has_port ? (long long)l->port : 0LL);
        s->local_address = sm_batch_str(c->b, tmp);
    }
    s->remote_service = r->service;
    if (r->present && !s->remote_service && !s->server_address &&
        (s->kind == SM_KIND_CLIENT || s->kind == SM_KIND_PRODUCER) && (r->has_v4 || r->has_v6)) {
        s->server_address = sm_batch_str(c->b, r->has_v4 ? r->v4.data : r->v6.data);
        if (!s->server_port && r->has_port && r->port > 0) {
            char port[32];

            snprintf(port, sizeof(port), "%lld", (long long)r->port);
            s->server_port = sm_batch_str(c->b, port);
        }
    }
}

static int on_end(struct sm_sax_walk *w)
{
    struct ctx *c = (struct ctx *)w;

    if (sm_sax_top(w)->role == C_SPAN) {
        if (!c->has_trace || !c->has_id)
            return sm_sax_fall_back(w); /* a required id is missing */
        end_span(c);
    }
    w->nframes--;
    value_done(w);
    return 1;
}

/* ---- tags passed over (sm_sax_machine's member) ----
 *
 * Most tags are ones no rule reads (http.route, url.full, service.instance.id, ...): in
 * svcmap-gen's flat Zipkin array two fifths of the bytes. */

/* A tag "K":V written without escapes in K: its length when V is a string without
 * escapes, true, false, null (and *pass true when K is not one of known_tags: the
 * machine would read it to no effect, as on_tag sets nothing for it and a second one
 * of it is no fall-back) or a number (never passed over: jansson might refuse it);
 * else 0. */
static size_t tag_member(const char *p, const char *end, bool *pass)
{
    const char *key = p + 1, *q, *k;

    *pass = false;
    if (p >= end || *p != '"' || !(k = sm_sax_plain_end(key, end)))
        return 0;
    q = k + 1;
    if (!sm_sax_take(&q, end, ":", 1))
        return 0;
    if (sm_sax_take_plain_value(&q, end)) {
        *pass = known_tag(key, (size_t)(k - key)) < 0;
        return (size_t)(q - p);
    }
    /* a number's extent, for the member after it; yajl reads and checks it */
    while (q < end && ((*q >= '0' && *q <= '9') || *q == '-' || *q == '+' || *q == '.' ||
                       *q == 'e' || *q == 'E'))
        q++;
    return q > k + 2 ? (size_t)(q - p) : 0;
}

/* The walk is in a span's tags, between two tags (not inside a skipped value). */
static bool tag_in_passable(struct sm_sax_walk *w)
{
    const struct sm_sax_frame *f = sm_sax_top(w);

    return f && f->role == C_TAGS && !w->skip;
}

static const struct sm_sax_machine machine = {
    .scalar = on_scalar,
    .start_map = on_start_map,
    .start_array = on_start_array,
    .map_key = on_map_key,
    .end = on_end,
    .value_done = value_done,
    .pass_marker = "\"tags\":{",
    .member = tag_member,
    .in_passable = tag_in_passable,
};

int sm_sax_parse_zipkin(const struct sm_element *el, struct sm_batch *out, struct sm_error *err)
{
    struct ctx c;
    int rc = 0;

    (void)err;
    memset(&c, 0, sizeof(c));
    c.b = out;
    c.slot = V_ROOT;
    sm_buf_init(&c.value);
    sm_buf_init(&c.local.v4);
    sm_buf_init(&c.local.v6);
    sm_buf_init(&c.remote.v4);
    sm_buf_init(&c.remote.v6);
    out->format = SM_FORMAT_ZIPKIN;
    if (sm_sax_walk(&c.w, &machine, el->data, el->len) != 0)
        rc = SM_SAX_FALLBACK;
    else if (c.traces)
        out->whole_traces = true;
    else if (c.array)
        out->whole_traces = el->ctx == SM_ELEM_ARRAY_ITEM;
    sm_buf_release(&c.value);
    sm_buf_release(&c.local.v4);
    sm_buf_release(&c.local.v6);
    sm_buf_release(&c.remote.v4);
    sm_buf_release(&c.remote.v6);
    return rc;
}
