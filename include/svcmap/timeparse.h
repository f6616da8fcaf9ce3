/* timeparse.h: reading a point in time given by a person (--since, --until).
 *
 * Times are nanoseconds since the Unix epoch in an int64_t, which reaches from 1970 to
 * 2262-04-11T23:47:16.854775807Z; a time outside that range is refused rather than
 * wrapped, so "the end of time" can never turn into "before everything".
 */
#ifndef SVCMAP_TIMEPARSE_H
#define SVCMAP_TIMEPARSE_H

#include <stdint.h>

/* Parses text as RFC 3339 ("2026-11-26T13:15:02Z", "2026-11-26T14:15:02.5+01:00", a
 * lowercase t or z or a space for the T; no offset or a bare date "2026-11-26" mean
 * UTC) or as non-negative Unix seconds ("1764162902", "1764162902.25", "1.7e9").
 * Every field must have exactly its digits, the date must exist (no 31 February), and
 * the result must lie between 1970 and 2262-04-11T23:47:16.854775807Z. Returns 0 with
 * *ns set, or -1 (nothing is read past the end of text). */
int sm_time_parse(const char *text, int64_t *ns);

#endif
