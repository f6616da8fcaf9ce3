/* output.h: writing an output file safely: atomically, never through a planted file,
 * never over a device, and read-modify-write under a lock.
 *
 * A regular file (or a symlink to one, which is followed: the link's target is updated,
 * as editors do) is replaced atomically: the bytes go to a temporary file created
 * exclusively (O_EXCL | O_NOFOLLOW, a fresh random name) in the target's own folder,
 * are flushed to disk, get the target's permission bits, and are renamed over it. A
 * target that exists but is not a regular file (a device such as /dev/null, a FIFO, a
 * terminal) is written in place, never renamed over. A folder, or a path ending in '/',
 * is SM_EUSAGE: a file name is needed. A target without write permission is SM_ESYSTEM
 * and is left as it was.
 */
#ifndef SVCMAP_OUTPUT_H
#define SVCMAP_OUTPUT_H

#include <stddef.h>

#include "svcmap/error.h"
#include "svcmap/util.h"

/* Writes len bytes of data to path as described above. A failure leaves no partial
 * file and no temporary file behind. */
int sm_output_write(const char *path, const void *data, size_t len, struct sm_error *err);

/* Rewrites the existing file path: reads it whole (more than max_bytes is SM_EINPUT, so
 * a device such as /dev/zero cannot grow memory without bound), hands the bytes to edit,
 * and writes what edit put into out back as sm_output_write does. The whole
 * read-modify-write holds an exclusive flock on the file, and the lock is taken again
 * when another process replaced the file meanwhile, so two concurrent edits of one file
 * are serialised and neither is lost. edit returns 0, or a negative status with err
 * filled (the file is then left as it was). */
typedef int (*sm_output_edit_fn)(void *ctx, const char *doc, size_t len, struct sm_buf *out,
                                 struct sm_error *err);
int sm_output_edit(const char *path, size_t max_bytes, sm_output_edit_fn edit, void *ctx,
                   struct sm_error *err);

/* Removes the temporary file of a write in progress, if any. Async-signal-safe: for a
 * signal handler that ends the process during a write. */
void sm_output_remove_pending(void);

#endif
