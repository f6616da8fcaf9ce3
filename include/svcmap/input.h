/* input.h: byte sources: a file, a gzip- or zstd-compressed file, a pipe or stdin.
 *
 * gzip and zstd are recognised by their magic bytes, never by the file name; several
 * gzip members or zstd frames in a row read as one stream, and a stream cut short is
 * SM_EINPUT. sm_input_peek buffers a head of the decompressed bytes without consuming
 * it, so formats are sniffed on pipes and standard input too: reads then hand out the
 * head first. Nothing is ever reopened or read twice.
 */
#ifndef SVCMAP_INPUT_H
#define SVCMAP_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "svcmap/error.h"
#include "svcmap/util.h"

struct sm_input;

/* Opens path for reading; "-" reads standard input. The first bytes are read to tell
 * the compression (a pipe blocks until they come). A directory, a missing file or an
 * unreadable one is SM_EINPUT with err naming the file. *out is owned by the caller:
 * free with sm_input_free. */
int sm_input_open(struct sm_input **out, const char *path, struct sm_error *err);

/* Reads up to size decompressed bytes. Returns the count, 0 at the end, or SM_EINPUT
 * (corrupt gzip stream, read error) with err filled. */
ssize_t sm_input_read(struct sm_input *in, void *buf, size_t size, struct sm_error *err);

/* Buffers the first want decompressed bytes not yet read (fewer at the end of the
 * input) and points *data at them, NUL-terminated; they stay unread. *data is borrowed:
 * valid until the next call on in. A read error inside the head is not reported here:
 * the head holds what was decoded and the next read past it reports the error. */
int sm_input_peek(struct sm_input *in, size_t want, const char **data, size_t *len,
                  struct sm_error *err);

/* True when every byte has been handed out and the stream ended cleanly. */
bool sm_input_at_end(const struct sm_input *in);

/* Appends everything left in the input to out, for documents read whole (map
 * documents, rules, dependency lists). More than max_bytes in all is SM_EINPUT naming
 * the file and the limit: the allocation stays bounded on hostile input. */
int sm_input_read_rest(struct sm_input *in, struct sm_buf *out, size_t max_bytes,
                       struct sm_error *err);

/* The name to show in messages: the path, or "<stdin>". Borrowed, valid until free. */
const char *sm_input_name(const struct sm_input *in);
/* Size of the file on disk (compressed), or -1 for pipes; for progress. */
long long sm_input_size(const struct sm_input *in);
/* Bytes consumed from the file on disk so far (compressed), for progress. */
long long sm_input_position(const struct sm_input *in);
bool sm_input_is_gzip(const struct sm_input *in);
bool sm_input_is_zstd(const struct sm_input *in);

void sm_input_free(struct sm_input *in);

#endif
