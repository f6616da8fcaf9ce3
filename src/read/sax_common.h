/* sax_common.h: what the streaming readers share (internal to the core library).
 *
 * The element check that keeps yajl's answers within jansson's (sm_sax_precheck), the
 * number check, scalars held between parser events, and the scalar conversions of
 * read_common.h done on them instead of on jansson values. Implemented in sax.c.
 */
#ifndef SVCMAP_SAX_COMMON_H
#define SVCMAP_SAX_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_parse.h>

#include "svcmap/error.h"
#include "svcmap/scan.h"
#include "svcmap/span.h"
#include "svcmap/util.h"

/* Deepest nesting an element may have before a streaming reader hands it to jansson
 * (whose own limit is 2048): well above the scanner's default limit. */
#define SM_SAX_MAX_DEPTH 1024

/* 0 when every byte of the element is one jansson reads the way yajl does: no control
 * byte but tab, newline and carriage return (yajl takes \f and \v for blanks), UTF-8 as
 * strict as jansson's (no overlong forms, surrogates or code points past U+10FFFF), no
 * \u0000 and no unpaired surrogate escape (jansson refuses both). -1 otherwise. */
int sm_sax_precheck(const char *data, size_t len);

enum sm_sax_type {
    SM_SAX_NONE = 0, /* nothing there */
    SM_SAX_NULL,
    SM_SAX_TRUE,
    SM_SAX_FALSE,
    SM_SAX_INT,
    SM_SAX_REAL,
    SM_SAX_STRING,
};

/* One scalar value as jansson would have held it. */
struct sm_sax_scalar {
    enum sm_sax_type type;
    int64_t i;     /* SM_SAX_INT */
    double d;      /* SM_SAX_REAL */
    const char *s; /* SM_SAX_STRING: borrowed, NUL-terminated when it is a copy */
    size_t len;
};

/* A number's text as jansson reads it: an integer when it has no '.', 'e' or 'E' (which
 * must fit in int64), else a double (which must not overflow). -1 when jansson would
 * refuse the whole element. */
int sm_sax_number(const char *text, size_t len, struct sm_sax_scalar *out);

/* Copies a string scalar into buf (NUL-terminated) so that it outlives the parser event;
 * other scalars are copied as they are. */
void sm_sax_keep(struct sm_sax_scalar *dst, const struct sm_sax_scalar *src, struct sm_buf *buf);

/* sm_read_text on a scalar: the arena copy of its text, NULL for null, none and "". */
const char *sm_sax_text(struct sm_batch *b, const struct sm_sax_scalar *v);
/* sm_read_int64 on a scalar (strings must be NUL-terminated). */
int sm_sax_int64(const struct sm_sax_scalar *v, int64_t *out);
/* sm_read_is_true on a scalar (strings must be NUL-terminated). */
bool sm_sax_is_true(const struct sm_sax_scalar *v);
/* sm_read_apply_attr on a scalar value (strings must be NUL-terminated). */
void sm_sax_apply_attr(struct sm_batch *b, struct sm_span *s, const char *key,
                       const struct sm_sax_scalar *v);

/* A short string as a NUL-terminated copy in buf (size bytes); false when it does not
 * fit (callers then let jansson judge it). */
bool sm_sax_cstr(const unsigned char *s, size_t len, char *buf, size_t size);

/* Runs yajl over data with callbacks cb and ctx: 0 when the text parsed to its end and
 * no callback cancelled, -1 otherwise. */
int sm_sax_run(const yajl_callbacks *cb, void *ctx, const char *data, size_t len);

/* The format readers, in sax_otlp.c, sax_jaeger.c, ... (same contract as sm_sax_parse). */
int sm_sax_parse_otlp(const struct sm_element *el, struct sm_batch *out, struct sm_error *err);
int sm_sax_parse_jaeger(const struct sm_element *el, struct sm_batch *out, struct sm_error *err);
int sm_sax_parse_zipkin(const struct sm_element *el, struct sm_batch *out, struct sm_error *err);

#endif
