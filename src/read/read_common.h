/* read_common.h: helpers the span readers share (internal to the core library).
 *
 * JSON field access that treats null as absent and knows both spellings of a key
 * (camelCase and snake_case), scalar conversion, the mapping of attribute and tag names
 * onto struct sm_span, and the "span N: ..." error messages. Implemented in reader.c.
 */
#ifndef SVCMAP_READ_COMMON_H
#define SVCMAP_READ_COMMON_H

#include <jansson.h>
#include <stdint.h>

#include "svcmap/error.h"
#include "svcmap/scan.h"
#include "svcmap/span.h"

/* The member key (or, when absent or null, the member alt, which may be NULL) of obj;
 * NULL when obj is not an object or neither is there. Borrowed from obj. If name is not
 * NULL it receives the key that was found (for messages), or key when none was. */
const json_t *sm_read_get(const json_t *obj, const char *key, const char *alt, const char **name);

/* One field a reader looks for: its spellings in, what was found out. */
struct sm_read_field {
    const char *key;     /* camelCase (or the only) spelling */
    const char *alt;     /* snake_case spelling, or NULL */
    const json_t *value; /* out: borrowed from the object; NULL when absent or null */
    const char *name;    /* out: the spelling found (key when absent), for messages */
};

/* Fills every field from one pass over obj's members (no hash lookups: a span's fields
 * are read with one walk instead of one lookup per name). Not an object: all absent. */
void sm_read_fields(const json_t *obj, struct sm_read_field *fields, size_t n);

/* A scalar as text, in the batch arena: strings as they are, integers in decimal, reals
 * in shortest round-trip form, booleans as "true"/"false". NULL for null, "" and
 * non-scalars. */
const char *sm_read_text(struct sm_batch *b, const json_t *v);

/* An integer from a JSON integer, an integral real, or a string of decimal digits
 * (optional '-'). 0 on success, -1 for a wrong type or text, -2 when out of range. */
int sm_read_int64(const json_t *v, int64_t *out);

/* True for JSON true and for the string "true" in any case. */
bool sm_read_is_true(const json_t *v);

/* What an attribute or tag named key means to the linker, given what s holds already
 * (newer OpenTelemetry names win over older ones whatever their order):
 * SM_READ_ATTR_TEXT with *field the span's string field to set (peer.service, db.*,
 * messaging.*, server.*, net.peer.name, http.host), SM_READ_ATTR_HTTP_STATUS for an HTTP
 * status code (set it with sm_read_set_http_status), or SM_READ_ATTR_NONE (ignored).
 * One mapping for every reader, JSON or protobuf. */
enum sm_read_attr {
    SM_READ_ATTR_NONE = 0,
    SM_READ_ATTR_TEXT,
    SM_READ_ATTR_HTTP_STATUS,
};
enum sm_read_attr sm_read_attr_target(struct sm_span *s, const char *key, const char ***field);
/* The same for a key of len bytes (not NUL-terminated). */
enum sm_read_attr sm_read_attr_target_n(struct sm_span *s, const char *key, size_t len,
                                        const char ***field);

/* Keeps code as the span's HTTP status when it is one (1 to 999). */
void sm_read_set_http_status(struct sm_span *s, int64_t code);

/* Sets the linker's field for an attribute or tag named key with a JSON scalar value,
 * through sm_read_attr_target: text as sm_read_text makes it, status codes as
 * sm_read_int64 reads them. Other keys are ignored. */
void sm_read_apply_attr(struct sm_batch *b, struct sm_span *s, const char *key, const json_t *v);

/* A whole string of decimal digits (optional '-') as an int64: 0, -1 for other text,
 * -2 when out of range. */
int sm_read_decimal(const char *s, int64_t *out);
/* The same on the len bytes at s, which must hold no NUL (the answer is then the one
 * sm_read_decimal gives on a NUL-terminated copy). */
int sm_read_decimal_n(const char *s, size_t len, int64_t *out);

/* The resource field of res that an OTLP resource attribute named key sets
 * (service.name, service.namespace, service.version), or NULL. Shared by the OTLP JSON
 * and protobuf readers; implemented in read_otlp.c. */
const char **sm_read_otlp_resource_field(struct sm_span *res, const char *key);

/* Fills err with SM_EINPUT and "span N: " (N 1-based within the element) followed by
 * the message, or just the message when span_no is 0. Returns SM_EINPUT. */
int sm_read_fail(struct sm_error *err, size_t span_no, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A short printable quotation of a JSON value for messages: strings quoted and cut
 * to 40 bytes, other values by type ("a number", "an object", ...). */
const char *sm_read_describe(const json_t *v, char *buf, size_t size);

/* Microseconds to nanoseconds; -2 when the product does not fit in int64. */
int sm_read_us_to_ns(int64_t us, int64_t *ns);

/* A span's start and duration from fields holding whole microseconds (Jaeger and
 * Zipkin); either may be NULL (absent: start 0, duration -1 and has_duration false).
 * Anything else is SM_EINPUT naming the field. */
int sm_read_times_us(const json_t *start, const char *start_name, const json_t *duration,
                     size_t span_no, struct sm_span *s, struct sm_error *err);

/* The span's name from field v (NULL: none); a non-string is SM_EINPUT naming field. */
int sm_read_name(const json_t *v, const char *field, size_t span_no, struct sm_batch *b,
                 struct sm_span *s, struct sm_error *err);

/* Reads one span: SM_EINPUT (err filled) when the span is bad. */
typedef int (*sm_read_span_fn)(const json_t *span, size_t span_no, struct sm_batch *b,
                               struct sm_error *err);

/* The Zipkin shapes (v1 and v2) of an element: one span object, one trace (an array of
 * spans), or an array of traces. A bad span is skipped and counted, and costs only
 * itself; a bad shape is SM_EINPUT, with what naming the format in the message
 * ("zipkin span must be an object"). whole_traces is set as the linker needs it: an
 * element that is one item of a flat span array is not a whole trace. */
int sm_read_span_lists(const struct sm_element *el, const json_t *value, const char *what,
                       sm_read_span_fn parse_span, struct sm_batch *out, struct sm_error *err);

#endif
