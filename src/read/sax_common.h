/* sax_common.h: what the streaming readers share (internal to the core library).
 *
 * The element check that keeps yajl's answers within jansson's (sm_sax_precheck), the
 * number check, scalars held between parser events, the scalar conversions of
 * read_common.h done on them instead of on jansson values, and the walk that runs a
 * format's state machine over yajl's events. Implemented in sax.c.
 */
#ifndef SVCMAP_SAX_COMMON_H
#define SVCMAP_SAX_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "read_common.h"
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

/* The closing quote of the string whose text starts at s, when it holds no escape and
 * no control byte before end; NULL otherwise (its UTF-8 is sm_sax_precheck's to check). */
const char *sm_sax_plain_end(const char *s, const char *end);

/* Steps *p over the n bytes lit (n <= 16, a constant) when they are there; compared a
 * word at a time, as the calls inline. */
static inline bool sm_sax_take(const char **p, const char *end, const char *lit, size_t n)
{
    uint64_t a = 0, b = 0, c = 0, d = 0;

    if ((size_t)(end - *p) < n)
        return false;
    memcpy(&a, *p, n < 8 ? n : 8);
    memcpy(&b, lit, n < 8 ? n : 8);
    if (n > 8) {
        memcpy(&c, *p + 8, n - 8);
        memcpy(&d, lit + 8, n - 8);
    }
    if (a != b || c != d)
        return false;
    *p += n;
    return true;
}

/* Steps *p over a value that a machine may pass over unread (sm_sax_machine's
 * pass_over): a string without escapes or control bytes, true, false or null. False
 * (and *p unmoved) for anything else, numbers included, which jansson might refuse. */
static inline bool sm_sax_take_plain_value(const char **p, const char *end)
{
    const char *q;

    if (*p < end && **p == '"') {
        if (!(q = sm_sax_plain_end(*p + 1, end)))
            return false;
        *p = q + 1;
        return true;
    }
    return sm_sax_take(p, end, "true", 4) || sm_sax_take(p, end, "false", 5) ||
           sm_sax_take(p, end, "null", 4);
}

/* A number's text as jansson reads it: an integer when it has no '.', 'e' or 'E' (which
 * must fit in int64), else a double (which must not overflow). -1 when jansson would
 * refuse the whole element. */
int sm_sax_number(const char *text, size_t len, struct sm_sax_scalar *out);

/* Copies a string scalar into buf (NUL-terminated) so that it outlives the parser event;
 * other scalars are copied as they are. */
void sm_sax_keep(struct sm_sax_scalar *dst, const struct sm_sax_scalar *src, struct sm_buf *buf);

/* sm_read_text on a scalar: the arena copy of its text, NULL for null, none and "". */
const char *sm_sax_text(struct sm_batch *b, const struct sm_sax_scalar *v);
/* sm_read_int64 on a scalar (a string is read by its length: it needs no NUL). */
int sm_sax_int64(const struct sm_sax_scalar *v, int64_t *out);
/* sm_read_is_true on a scalar. */
bool sm_sax_is_true(const struct sm_sax_scalar *v);
/* sm_read_apply_attr on a scalar value, for the key of len bytes (no NUL needed); a
 * string value may be borrowed from the parser event. */
void sm_sax_apply_attr(struct sm_batch *b, struct sm_span *s, const char *key, size_t len,
                       const struct sm_sax_scalar *v);
/* Its second half: sets what sm_read_attr_target found (kind, field) from v; s may be
 * NULL when kind is not SM_READ_ATTR_HTTP_STATUS. */
void sm_sax_set_attr(struct sm_batch *b, struct sm_span *s, enum sm_read_attr kind,
                     const char **field, const struct sm_sax_scalar *v);

/* sm_strcasecmp(s, lit) == 0 for the len bytes at s (no NUL needed): lit is lowercase,
 * and only ASCII letters compare without their case. */
static inline bool sm_sax_ieq(const char *s, size_t len, const char *lit)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + ('a' - 'A'));
        if (c != (unsigned char)lit[i] || !lit[i])
            return false;
    }
    return !lit[len];
}

/* A short string as a NUL-terminated copy in buf (size bytes); false when it does not
 * fit (callers then let jansson judge it). */
bool sm_sax_cstr(const unsigned char *s, size_t len, char *buf, size_t size);

/* ---- the walk: the yajl glue every format reader shares ----
 *
 * A format reader is a state machine (struct sm_sax_machine) over a walk. sax.c owns the
 * yajl handle and its callbacks: it turns numbers and strings into scalars, checks every
 * number as jansson would (even inside skipped values: jansson refuses the element for
 * it), and passes over skipped values itself, counting their depth, so the machine sees
 * only the events of values it reads. A machine's context struct has its struct
 * sm_sax_walk as its first member, and its handlers cast the walk back to it. */

/* Containers a machine can be inside at once (the values it reads, not skipped ones);
 * one more is a fall-back. */
#define SM_SAX_MAX_FRAMES 16

/* A container a machine reads: its role (the machine's own enum) and the keys met in it
 * so far, one bit each (sm_sax_first_key). */
struct sm_sax_frame {
    int role;
    unsigned seen;
};

struct sm_sax_walk;

/* A format reader's handlers, called outside skipped values. Each returns 1 to go on or
 * 0 to cancel (after sm_sax_fall_back). */
struct sm_sax_machine {
    int (*scalar)(struct sm_sax_walk *w, const struct sm_sax_scalar *v); /* borrowed */
    int (*start_map)(struct sm_sax_walk *w);
    int (*start_array)(struct sm_sax_walk *w);
    int (*map_key)(struct sm_sax_walk *w, const char *key, size_t len); /* not NUL-ended */
    int (*end)(struct sm_sax_walk *w);         /* a map or array it read (not skipped) ends */
    void (*value_done)(struct sm_sax_walk *w); /* a skipped value ended */

    /* Optional (NULL for none): array elements, or members of an object, the walk may
     * leave out of what yajl reads (sax.c explains how). in_passable says whether the
     * walk is inside such an array or object, between two of its elements or members.
     * - Array elements (member NULL): an element that may be one starts with the bytes
     *   pass_marker (two or more); pass_over is given its bytes up to the element's end
     *   and answers its length when it is an object, valid JSON, that the machine reads
     *   to no effect in any state (0 when unsure). The machine calls sm_sax_mark after
     *   reading the '[' of such an array and the '}' of its elements.
     * - Object members: pass_marker is the bytes that open such an object, ending with
     *   its '{' ("\"tags\":{"); member is given a member's bytes from its key's quote up
     *   to the element's end and answers the length of "key":value when it can tell
     *   (0 when not), and in *pass whether that is valid JSON the machine reads to no
     *   effect in any state. The machine calls sm_sax_mark after reading the object's
     *   '{' and each member's value. */
    const char *pass_marker;
    size_t (*pass_over)(const char *p, const char *end);
    size_t (*member)(const char *p, const char *end, bool *pass);
    bool (*in_passable)(struct sm_sax_walk *w);
};

struct sm_sax_walk {
    const struct sm_sax_machine *m;
    bool fallback;  /* the element goes to the jansson reader */
    bool root_done; /* the element's value ended (set by the machine) */
    size_t skip;    /* > 0: inside a skipped value, this deep */
    struct sm_sax_frame frames[SM_SAX_MAX_FRAMES];
    size_t nframes;
    /* set by sm_sax_walk: 1 + the offset after the element's value once it ended (0
     * before), and whether that was only seen when yajl_complete_parse ran */
    size_t root_end;
    bool root_end_in_complete;
    /* set by sm_sax_mark: the offset after the last '[', '}' or member's value the
     * machine marked (0: none) */
    size_t mark;
};

/* Runs yajl over data (len bytes, sm_sax_precheck passed) through machine m, on w (the
 * first member of the machine's zeroed context): 0 when the text parsed to its end, no
 * handler fell back, the machine set root_done, the value was a map or an array and
 * only blanks follow it; -1 otherwise. */
int sm_sax_walk(struct sm_sax_walk *w, const struct sm_sax_machine *m, const char *data,
                size_t len);

/* Notes where yajl is in the element (after the '[', '}' or member's value just read),
 * for the machine's pass_over (struct sm_sax_machine). */
void sm_sax_mark(struct sm_sax_walk *w);

/* Hands the element to the jansson reader: returns 0, which cancels the parse. */
static inline int sm_sax_fall_back(struct sm_sax_walk *w)
{
    w->fallback = true;
    return 0;
}

/* Skips the map or array that just started (and all inside it): returns 1. */
static inline int sm_sax_skip(struct sm_sax_walk *w)
{
    w->skip = 1;
    return 1;
}

/* The innermost container read, NULL at the element's top. */
static inline struct sm_sax_frame *sm_sax_top(struct sm_sax_walk *w)
{
    return w->nframes ? &w->frames[w->nframes - 1] : NULL;
}

/* Enters a container of the given role; false when there are too many. */
static inline bool sm_sax_push(struct sm_sax_walk *w, int role)
{
    if (w->nframes == SM_SAX_MAX_FRAMES)
        return false;
    w->frames[w->nframes].role = role;
    w->frames[w->nframes].seen = 0;
    w->nframes++;
    return true;
}

/* Marks key bit in f's seen set; false when it was there already (a key given twice,
 * where jansson keeps the last and the machine falls back). */
static inline bool sm_sax_first_key(struct sm_sax_frame *f, unsigned bit)
{
    if (f->seen & bit)
        return false;
    f->seen |= bit;
    return true;
}

/* In a map_key handler (key, len): the key is the string literal lit. */
#define SM_SAX_KEY_IS(lit) (len == sizeof(lit) - 1 && !memcmp(key, lit, sizeof(lit) - 1))

/* Copies a string scalar's text into buf, NUL-terminated (buf->len excludes the NUL). */
void sm_sax_copy(struct sm_buf *buf, const struct sm_sax_scalar *v);

/* A time or count that must be a non-negative int64 (a number, or a decimal in a string
 * as sm_read_int64 takes it): 0, or -1. */
int sm_sax_nonneg(const struct sm_sax_scalar *v, int64_t *out);

/* Microseconds (as sm_sax_nonneg) to nanoseconds: 0, or -1 when bad or out of range. */
int sm_sax_us(const struct sm_sax_scalar *v, int64_t *ns);

/* The format readers, in sax_otlp.c, sax_jaeger.c, ... (same contract as sm_sax_parse). */
int sm_sax_parse_otlp(const struct sm_element *el, struct sm_batch *out, struct sm_error *err);
int sm_sax_parse_jaeger(const struct sm_element *el, struct sm_batch *out, struct sm_error *err);
int sm_sax_parse_zipkin(const struct sm_element *el, struct sm_batch *out, struct sm_error *err);
int sm_sax_parse_zipkin1(const struct sm_element *el, struct sm_batch *out, struct sm_error *err);

#endif
