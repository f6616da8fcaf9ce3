/* sax_zipkin1.c: the streaming Zipkin v1 reader, a state machine over yajl's events.
 *
 * Reads what read_zipkin1.c reads, to the same spans, without a tree: an element is one
 * v1 span, one trace (an array of spans) or an array of traces; the first item of an
 * array says which, as in read_zipkin1.c. A v1 span's meaning depends on all of its
 * annotations at once (they are sorted, and the core ones decide the parts), so while
 * a span streams past this reader only notes what the conversion needs: the ids and
 * times, and for each annotation and binary annotation its value, key and endpoint,
 * whose strings go to a scratch buffer that is reused for the next span. When the span
 * closes, the notes become zipkin1_conv.h's records and sm_zipkin1_convert (the
 * conversion read_zipkin1.c uses too) appends the spans; only what they keep is copied
 * into the batch's arena.
 *
 * What it does not take as plainly good goes back to read_zipkin1.c (SM_SAX_FALLBACK):
 * every span or field read_zipkin1.c would complain about or skip (bad or missing ids,
 * times, names, annotations without a timestamp or a string value, binary annotations
 * without a string key, endpoints that are not objects or whose serviceName is not a
 * string), a key given twice among those it reads, and an item of a list of traces
 * that is not an array.
 */
#include <string.h>

#include "read_common.h"
#include "sax_common.h"
#include "svcmap/reader.h"
#include "svcmap/sax.h"
#include "zipkin1_conv.h"

enum slot {
    V_SKIP = 0,
    V_ROOT,  /* the element */
    V_FIRST, /* the first item of the element's array: a span or a trace */
    V_TRACE, /* an item of a list of traces */
    V_SPAN,  /* an item of a trace */
    V_TRACE_ID,
    V_ID,
    V_PARENT_ID,
    V_TIMESTAMP,
    V_DURATION,
    V_NAME,
    V_ANNS,     /* "annotations" */
    V_ANN,      /* one of them */
    V_ANN_TS,   /* its "timestamp" */
    V_ANN_TEXT, /* its "value" */
    V_BINS,     /* "binaryAnnotations" */
    V_BIN,      /* one of them */
    V_BIN_KEY,
    V_BIN_VALUE,
    V_ENDPOINT, /* "endpoint" of an annotation or a binary annotation */
    V_EP_SERVICE,
    V_EP_IPV4,
    V_EP_IPV6,
    V_EP_PORT,
};

enum role { C_TRACES, C_TRACE, C_SPAN, C_ANNS, C_ANN, C_BINS, C_BIN, C_ENDPOINT };

/* A string of the span being read: its offset in ctx.text, or NONE. */
#define NONE ((size_t)-1)

struct ep_note {
    size_t service, ipv4, ipv6;
    long long port;
};

struct ann_note {
    int64_t ts_us;
    bool has_ts;
    size_t value;
    size_t ep; /* in ctx.eps, or NONE */
};

enum bin_value { BV_OTHER = 0, BV_STRING, BV_TRUE };

struct bin_note {
    size_t key;
    enum bin_value kind;
    size_t value; /* BV_STRING */
    size_t ep;
    size_t index; /* place in the list */
};

struct ctx {
    struct sm_sax_walk w; /* first: the handlers cast it back */
    struct sm_batch *b;
    enum slot slot;
    bool traces; /* the element is an array of traces */
    bool array;  /* the element is an array */

    /* the span being read */
    struct sm_zipkin1_span span;
    bool has_trace, has_id;
    size_t name;
    struct sm_buf text; /* its strings, each NUL-terminated */
    struct ann_note *anns;
    size_t nanns, anns_cap;
    struct bin_note *bins;
    size_t nbins, bins_cap, bins_seen;
    struct ep_note *eps;
    size_t neps, eps_cap;
    size_t *ep_owner; /* the note whose endpoint is being read */

    /* the records handed to the conversion, rebuilt at each span's end */
    struct sm_zipkin1_annotation *zann;
    size_t zann_cap;
    struct sm_zipkin1_binary *zbin;
    size_t zbin_cap;
    struct sm_zipkin1_endpoint *zeps;
    size_t zeps_cap;
    struct sm_buf id; /* an id, NUL-terminated for sm_batch_hex_id */
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
    switch (f->role) {
    case C_TRACES:
        c->slot = V_TRACE;
        break;
    case C_TRACE:
        c->slot = V_SPAN;
        break;
    case C_ANNS:
        c->slot = V_ANN;
        break;
    case C_BINS:
        c->slot = V_BIN;
        break;
    default:
        c->slot = V_SKIP;
        break;
    }
}

/* The string of v kept for the span's end: its offset in c->text. */
static size_t keep(struct ctx *c, const struct sm_sax_scalar *v)
{
    size_t off = c->text.len;

    sm_buf_add(&c->text, v->s, v->len);
    sm_buf_addc(&c->text, '\0');
    return off;
}

static const char *text_at(const struct ctx *c, size_t off)
{
    return off == NONE ? NULL : c->text.data + off;
}

/* read_zipkin1.c's read_id: a non-empty string, hex normalized (NULL when zero), any
 * other string kept as it is. -1 when it is not a string. */
static int read_id(struct ctx *c, const struct sm_sax_scalar *v, const char **out)
{
    *out = NULL;
    if (v->type != SM_SAX_STRING)
        return -1;
    if (v->len == 0)
        return 0;
    sm_sax_copy(&c->id, v);
    *out = sm_batch_hex_id(c->b, c->id.data);
    return 0;
}

/* read_zipkin1.c's read_us: microseconds that fit in nanoseconds. */
static int read_us(const struct sm_sax_scalar *v, int64_t *us)
{
    int64_t ns;

    if (sm_sax_nonneg(v, us) != 0 || sm_read_us_to_ns(*us, &ns) != 0)
        return -1;
    return 0;
}

static struct ep_note *cur_ep(struct ctx *c)
{
    return &c->eps[c->neps - 1];
}

static int on_scalar(struct sm_sax_walk *w, const struct sm_sax_scalar *v)
{
    struct ctx *c = (struct ctx *)w;
    struct ep_note *ep;
    struct bin_note *bn;
    const char *id;

    if (v->type == SM_SAX_NULL) {
        switch (c->slot) {
        case V_ROOT:
        case V_FIRST:
        case V_TRACE:
        case V_SPAN:
        case V_ANN:
        case V_BIN:
        case V_ANN_TEXT: /* not a string */
        case V_BIN_KEY:
            return sm_sax_fall_back(w);
        default:
            value_done(w); /* null is absent */
            return 1;
        }
    }
    switch (c->slot) {
    case V_SKIP:
        break;
    case V_TRACE_ID:
        if (read_id(c, v, &id) != 0 || !id)
            return sm_sax_fall_back(w); /* not a string, "" or zero */
        c->span.trace_id = id;
        c->has_trace = true;
        break;
    case V_ID:
        if (read_id(c, v, &id) != 0 || !id)
            return sm_sax_fall_back(w);
        c->span.span_id = id;
        c->has_id = true;
        break;
    case V_PARENT_ID:
        if (read_id(c, v, &c->span.parent_id) != 0)
            return sm_sax_fall_back(w);
        break;
    case V_TIMESTAMP:
        if (read_us(v, &c->span.ts_us) != 0)
            return sm_sax_fall_back(w);
        break;
    case V_DURATION:
        if (read_us(v, &c->span.dur_us) != 0)
            return sm_sax_fall_back(w);
        break;
    case V_NAME:
        if (v->type != SM_SAX_STRING)
            return sm_sax_fall_back(w);
        c->name = keep(c, v);
        break;
    case V_ANN_TS:
        if (read_us(v, &c->anns[c->nanns - 1].ts_us) != 0)
            return sm_sax_fall_back(w);
        c->anns[c->nanns - 1].has_ts = true;
        break;
    case V_ANN_TEXT:
        if (v->type != SM_SAX_STRING)
            return sm_sax_fall_back(w);
        c->anns[c->nanns - 1].value = keep(c, v);
        break;
    case V_BIN_KEY:
        if (v->type != SM_SAX_STRING)
            return sm_sax_fall_back(w);
        c->bins[c->nbins - 1].key = keep(c, v);
        break;
    case V_BIN_VALUE:
        bn = &c->bins[c->nbins - 1];
        if (v->type == SM_SAX_STRING) {
            bn->kind = BV_STRING;
            bn->value = keep(c, v);
        } else if (v->type == SM_SAX_TRUE) {
            bn->kind = BV_TRUE;
        }
        break;
    case V_EP_SERVICE:
        if (v->type != SM_SAX_STRING)
            return sm_sax_fall_back(w);
        if (v->len)
            cur_ep(c)->service = keep(c, v);
        break;
    case V_EP_IPV4:
        if (v->type == SM_SAX_STRING)
            cur_ep(c)->ipv4 = keep(c, v);
        break;
    case V_EP_IPV6:
        if (v->type == SM_SAX_STRING)
            cur_ep(c)->ipv6 = keep(c, v);
        break;
    case V_EP_PORT:
        ep = cur_ep(c);
        if (v->type == SM_SAX_INT && v->i > 0)
            ep->port = (long long)v->i;
        break;
    default:
        /* a span, a trace, an array or an object was expected */
        return sm_sax_fall_back(w);
    }
    value_done(w);
    return 1;
}

static void begin_span(struct ctx *c)
{
    memset(&c->span, 0, sizeof(c->span));
    c->has_trace = c->has_id = false;
    c->name = NONE;
    sm_buf_reset(&c->text);
    c->nanns = c->nbins = c->bins_seen = c->neps = 0;
}

static int on_start_map(struct sm_sax_walk *w)
{
    struct ctx *c = (struct ctx *)w;
    enum role role;

    switch (c->slot) {
    case V_SKIP:
    case V_BIN_VALUE: /* an object value is not kept */
    case V_EP_IPV4:   /* not a string or an integer: as if absent */
    case V_EP_IPV6:
    case V_EP_PORT:
        return sm_sax_skip(w);
    case V_ROOT:
    case V_FIRST:
    case V_SPAN:
        role = C_SPAN;
        begin_span(c);
        break;
    case V_ANN:
        role = C_ANN;
        sm_grow(&c->anns, &c->anns_cap, c->nanns + 1, sizeof(*c->anns));
        c->anns[c->nanns].has_ts = false;
        c->anns[c->nanns].value = NONE;
        c->anns[c->nanns].ep = NONE;
        c->nanns++;
        break;
    case V_BIN:
        role = C_BIN;
        sm_grow(&c->bins, &c->bins_cap, c->nbins + 1, sizeof(*c->bins));
        c->bins[c->nbins].key = NONE;
        c->bins[c->nbins].kind = BV_OTHER;
        c->bins[c->nbins].value = NONE;
        c->bins[c->nbins].ep = NONE;
        c->bins[c->nbins].index = c->bins_seen++;
        c->nbins++;
        break;
    case V_ENDPOINT:
        role = C_ENDPOINT;
        sm_grow(&c->eps, &c->eps_cap, c->neps + 1, sizeof(*c->eps));
        c->eps[c->neps].service = c->eps[c->neps].ipv4 = c->eps[c->neps].ipv6 = NONE;
        c->eps[c->neps].port = 0;
        c->neps++;
        break;
    default:
        return sm_sax_fall_back(w);
    }
    if (!sm_sax_push(w, role))
        return sm_sax_fall_back(w);
    c->slot = V_SKIP;
    return 1;
}

static int on_start_array(struct sm_sax_walk *w)
{
    struct ctx *c = (struct ctx *)w;

    switch (c->slot) {
    case V_SKIP:
    case V_BIN_VALUE:
    case V_EP_IPV4:
    case V_EP_IPV6:
    case V_EP_PORT:
        return sm_sax_skip(w);
    case V_ROOT:
        c->array = true;
        c->slot = V_FIRST;
        return sm_sax_push(w, C_TRACE) ? 1 : sm_sax_fall_back(w);
    case V_FIRST:
        /* the first item is an array: the element is a list of traces */
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
    case V_ANNS:
        if (!sm_sax_push(w, C_ANNS))
            return sm_sax_fall_back(w);
        value_done(w);
        return 1;
    case V_BINS:
        if (!sm_sax_push(w, C_BINS))
            return sm_sax_fall_back(w);
        value_done(w);
        return 1;
    default:
        return sm_sax_fall_back(w);
    }
}

static enum slot span_key(const char *key, size_t len, unsigned *bit)
{
    static const struct {
        const char *name;
        enum slot slot;
    } fields[] = {
        {"traceId", V_TRACE_ID},   {"id", V_ID},
        {"parentId", V_PARENT_ID}, {"timestamp", V_TIMESTAMP},
        {"duration", V_DURATION},  {"name", V_NAME},
        {"annotations", V_ANNS},   {"binaryAnnotations", V_BINS},
    };
    size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (fields[i].name[0] == key[0] && strlen(fields[i].name) == len &&
            !memcmp(fields[i].name, key, len)) {
            *bit = 1u << i;
            return fields[i].slot;
        }
    }
    return V_SKIP;
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
    case C_ANN:
        if (SM_SAX_KEY_IS("timestamp")) {
            c->slot = V_ANN_TS;
            bit = 1;
        } else if (SM_SAX_KEY_IS("value")) {
            c->slot = V_ANN_TEXT;
            bit = 2;
        } else if (SM_SAX_KEY_IS("endpoint")) {
            c->slot = V_ENDPOINT;
            c->ep_owner = &c->anns[c->nanns - 1].ep;
            bit = 4;
        }
        break;
    case C_BIN:
        if (SM_SAX_KEY_IS("key")) {
            c->slot = V_BIN_KEY;
            bit = 1;
        } else if (SM_SAX_KEY_IS("value")) {
            c->slot = V_BIN_VALUE;
            bit = 2;
        } else if (SM_SAX_KEY_IS("endpoint")) {
            c->slot = V_ENDPOINT;
            c->ep_owner = &c->bins[c->nbins - 1].ep;
            bit = 4;
        }
        break;
    case C_ENDPOINT:
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
    default:
        return sm_sax_fall_back(w);
    }
    if (bit && !sm_sax_first_key(f, bit))
        return sm_sax_fall_back(w);
    return 1;
}

/* The notes of the span become the conversion's records, and the conversion its spans. */
static void end_span(struct ctx *c)
{
    size_t i, n = 0;

    sm_grow(&c->zeps, &c->zeps_cap, c->neps + 1, sizeof(*c->zeps));
    for (i = 0; i < c->neps; i++) {
        c->zeps[i].service = text_at(c, c->eps[i].service);
        c->zeps[i].ipv4 = text_at(c, c->eps[i].ipv4);
        c->zeps[i].ipv6 = text_at(c, c->eps[i].ipv6);
        c->zeps[i].port = c->eps[i].port;
    }
    sm_grow(&c->zann, &c->zann_cap, c->nanns + 1, sizeof(*c->zann));
    for (i = 0; i < c->nanns; i++) {
        c->zann[i].ts_us = c->anns[i].ts_us;
        c->zann[i].value = text_at(c, c->anns[i].value);
        c->zann[i].ep = c->anns[i].ep == NONE ? NULL : &c->zeps[c->anns[i].ep];
        c->zann[i].index = i;
    }
    sm_grow(&c->zbin, &c->zbin_cap, c->nbins + 1, sizeof(*c->zbin));
    for (i = 0; i < c->nbins; i++) {
        const struct bin_note *bn = &c->bins[i];
        struct sm_zipkin1_binary *zb = &c->zbin[n];
        const char *key = text_at(c, bn->key);

        zb->key = key;
        zb->ep = bn->ep == NONE ? NULL : &c->zeps[bn->ep];
        zb->index = bn->index;
        zb->part = 0;
        if (bn->kind == BV_STRING) {
            zb->value = text_at(c, bn->value);
        } else if (bn->kind == BV_TRUE && zb->ep &&
                   (!strcmp(key, "sa") || !strcmp(key, "ca") || !strcmp(key, "ma"))) {
            zb->value = NULL; /* an address */
        } else {
            continue; /* only string tags and addresses are kept */
        }
        n++;
    }
    c->span.name = text_at(c, c->name);
    c->span.ann = c->zann;
    c->span.nann = c->nanns;
    c->span.bin = c->zbin;
    c->span.nbin = n;
    sm_zipkin1_convert(c->b, &c->span);
}

static int on_end(struct sm_sax_walk *w)
{
    struct ctx *c = (struct ctx *)w;
    struct ep_note *ep;

    switch (sm_sax_top(w)->role) {
    case C_SPAN:
        if (!c->has_trace || !c->has_id)
            return sm_sax_fall_back(w); /* a required id is missing */
        end_span(c);
        break;
    case C_ANN:
        if (!c->anns[c->nanns - 1].has_ts || c->anns[c->nanns - 1].value == NONE)
            return sm_sax_fall_back(w); /* needs a timestamp and a string value */
        break;
    case C_BIN:
        if (c->bins[c->nbins - 1].key == NONE)
            return sm_sax_fall_back(w); /* needs a string key */
        break;
    case C_ENDPOINT:
        /* an endpoint with no field set is none */
        ep = cur_ep(c);
        if (ep->service != NONE || ep->ipv4 != NONE || ep->ipv6 != NONE || ep->port)
            *c->ep_owner = c->neps - 1;
        break;
    default:
        break;
    }
    w->nframes--;
    value_done(w);
    return 1;
}

static const struct sm_sax_machine machine = {
    .scalar = on_scalar,
    .start_map = on_start_map,
    .start_array = on_start_array,
    .map_key = on_map_key,
    .end = on_end,
    .value_done = value_done,
};

int sm_sax_parse_zipkin1(const struct sm_element *el, struct sm_batch *out, struct sm_error *err)
{
    struct ctx c;
    int rc = 0;

    (void)err;
    memset(&c, 0, sizeof(c));
    c.b = out;
    c.slot = V_ROOT;
    sm_buf_init(&c.text);
    sm_buf_init(&c.id);
    out->format = SM_FORMAT_ZIPKIN1;
    if (sm_sax_walk(&c.w, &machine, el->data, el->len) != 0)
        rc = SM_SAX_FALLBACK;
    else if (c.traces)
        out->whole_traces = true;
    else if (c.array)
        out->whole_traces = el->ctx == SM_ELEM_ARRAY_ITEM;
    sm_buf_release(&c.text);
    sm_buf_release(&c.id);
    free(c.anns);
    free(c.bins);
    free(c.eps);
    free(c.zann);
    free(c.zbin);
    free(c.zeps);
    return rc;
}
