/* inject.h: keeping a generated block current inside a Markdown document.
 *
 * A document marks the block with two HTML comments, each on its own or inline:
 *     <!-- svcmap:begin NAME -->
 *     ...generated text...
 *     <!-- svcmap:end NAME -->
 * sm_inject replaces what lies between the two markers and leaves every other byte of
 * the document, the markers included, exactly as it was.
 */
#ifndef SVCMAP_INJECT_H
#define SVCMAP_INJECT_H

#include <stddef.h>

#include "svcmap/error.h"
#include "svcmap/util.h"

/* True if name can be a block name: 1-64 of [A-Za-z0-9._-]. */
int sm_inject_name_ok(const char *name);

/* Writes doc (len bytes) into out with the text between the markers of block name
 * replaced by a newline, block (block_len bytes), and a newline if block does not end
 * with one; when the begin marker's line ends in CRLF, so do the block's lines. A marker
 * that is missing, repeated, or an end before its begin is
 * SM_EINPUT with the line in err; a bad name is SM_EUSAGE. On failure out is left as
 * it was. */
int sm_inject(const char *doc, size_t len, const char *name, const char *block, size_t block_len,
              struct sm_buf *out, struct sm_error *err);

#endif
