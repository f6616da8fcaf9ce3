/* sax.h: the streaming span readers, state machines over yajl's parser events.
 *
 * The jansson readers (reader.h) build a tree of every element and walk it; the
 * streaming readers walk the element's bytes once and keep only what struct sm_span
 * needs, which is several times faster. They give the same spans as the jansson readers
 * for every element they accept. An element they do not accept as plainly good (a
 * syntax error, a bad span, a duplicate key, an escape or a number jansson would refuse,
 * an unusual document shape) is SM_SAX_FALLBACK: the caller reads that element again
 * with the jansson reader, which is the reference and writes every error message. Bad
 * records are rare, so the second parse costs little, and there is one wording of every
 * complaint.
 */
#ifndef SVCMAP_SAX_H
#define SVCMAP_SAX_H

#include <stdbool.h>
#include <stddef.h>

#include "svcmap/error.h"
#include "svcmap/scan.h"
#include "svcmap/span.h"

/* sm_sax_parse: read this element with the jansson reader instead. */
#define SM_SAX_FALLBACK 2

/* True when format has a streaming reader. */
bool sm_sax_supports(enum sm_input_format format);

/* Appends the element's spans to out, as the jansson reader of format would: 0, or
 * SM_READ_IGNORED (reader.h) with err->text naming the other signal, or SM_SAX_FALLBACK
 * (out may then hold spans of this element that the caller drops, and its arena strings
 * that nobody refers to). Never a negative status: every complaint is the jansson
 * reader's to make. */
int sm_sax_parse(enum sm_input_format format, const struct sm_element *el, struct sm_batch *out,
                 struct sm_error *err);

/* Frees the calling thread's parser, which the streaming readers keep from one element
 * to the next. Call it before a thread that parsed elements ends (the next parse on
 * the thread makes a new one). */
void sm_sax_release_thread(void);

/* How many array elements the calling thread's streaming readers have passed over
 * unparsed, as their bytes alone showed them to be ones no span reads (OTLP attributes
 * no rule reads): a count for tests and measurements. */
size_t sm_sax_thread_passed(void);

/* True when the jansson readers were chosen over the streaming ones: the environment
 * variable SVCMAP_READER is "jansson" (a hidden switch for comparing the two; see
 * docs/performance.md). Read once. */
bool sm_sax_disabled(void);

#endif
