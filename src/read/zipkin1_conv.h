/* zipkin1_conv.h: Zipkin v1 spans to v2-shaped spans, shared by both v1 readers
 * (internal to the core library).
 *
 * read_zipkin1.c (jansson) and sax_zipkin1.c (streaming) read a v1 span's JSON into
 * the plain records below and hand them to sm_zipkin1_convert, which turns them into
 * sm_spans as Zipkin's V1SpanConverter does (see read_zipkin1.c's header). The readers
 * differ only in how they read the JSON; the conversion is written once.
 */
#ifndef SVCMAP_ZIPKIN1_CONV_H
#define SVCMAP_ZIPKIN1_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "svcmap/span.h"

/* An endpoint as logged; absent fields are NULL / 0. Strings borrowed (valid until
 * sm_zipkin1_convert returns). */
struct sm_zipkin1_endpoint {
    const char *service; /* NULL for none (or "") */
    const char *ipv4;    /* any string given, "" included */
    const char *ipv6;
    long long port; /* 0: none */
};

struct sm_zipkin1_annotation {
    int64_t ts_us;
    const char *value;                    /* borrowed */
    const struct sm_zipkin1_endpoint *ep; /* NULL: none */
    size_t index;                         /* place in the file, for a stable sort */
};

struct sm_zipkin1_binary {
    const char *key;   /* borrowed */
    const char *value; /* the string value of a tag (borrowed); NULL for an address */
    const struct sm_zipkin1_endpoint *ep;
    size_t index; /* place in the file, for a stable sort */
    size_t part;  /* set by the conversion */
};

/* One v1 span as read. */
struct sm_zipkin1_span {
    const char *trace_id, *span_id;    /* in b's arena, not NULL */
    const char *parent_id;             /* in b's arena, NULL for none */
    const char *name;                  /* borrowed, NULL for none */
    int64_t ts_us, dur_us;             /* 0: absent */
    struct sm_zipkin1_annotation *ann; /* sorted in place */
    size_t nann;
    struct sm_zipkin1_binary *bin; /* sorted in place */
    size_t nbin;
};

/* Appends the v2 spans of v to b (copying every string they keep into b's arena). */
void sm_zipkin1_convert(struct sm_batch *b, struct sm_zipkin1_span *v);

#endif
