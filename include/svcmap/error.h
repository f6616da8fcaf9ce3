/* error.h: how the core library reports failures to its callers.
 *
 * Every core function that can fail returns an int: 0 on success, one of the
 * negative SM_E* statuses on failure. Details go into a caller-provided, fixed-size
 * struct sm_error passed as the last argument. The lowest level that knows the cause
 * fills it; callers pass the status up unchanged and never overwrite the message.
 * Only the command line turns it into "svcmap: FILE:LINE:COL: text" and an exit status.
 */
#ifndef SVCMAP_ERROR_H
#define SVCMAP_ERROR_H

#include <stddef.h>

enum sm_status {
    SM_OK = 0,
    SM_EUSAGE = -2,  /* the caller asked for something impossible (exit 2) */
    SM_EINPUT = -3,  /* bad input: unreadable, malformed, unknown format (exit 3) */
    SM_ESYSTEM = -4, /* I/O, database, out of space (exit 4) */
    SM_EGATE = -1,   /* diff/check: a --fail-on gate tripped (exit 1) */
};

/* Where and what. line/column are 1-based, 0 when unknown; offset is a byte offset
 * into the (decompressed) input, -1 when unknown. */
struct sm_error {
    int status;
    char file[256];
    long line;
    long column;
    long long offset;
    char text[512];
};

/* Clears err to "no error" (status 0, no place). Allocates nothing. */
void sm_error_init(struct sm_error *err);

/* Fills err with status and a printf-style message and no place; returns status.
 * err may be NULL. */
int sm_error_set(struct sm_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like sm_error_set, with a place. file may be NULL (kept as it was). */
int sm_error_at(struct sm_error *err, int status, const char *file, long line, long column,
                long long offset, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Writes "FILE:LINE:COL: text" (or "FILE: byte N: text", or "FILE: text", or "text")
 * into buf, always NUL-terminated. */
void sm_error_format(const struct sm_error *err, char *buf, size_t size);

/* Exit status for a core status: 0, 1, 2, 3 or 4. */
int sm_status_exit_code(int status);

#endif
