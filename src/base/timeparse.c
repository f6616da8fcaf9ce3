/* timeparse.c: RFC 3339 and Unix-seconds times into int64 nanoseconds, range-checked.
 *
 * Fields are read digit by digit with exact widths (sscanf's %2d would take " 1" or
 * "+1" and say nothing about what follows), and every step of the arithmetic is
 * checked against the int64 nanosecond range before it is done.
 */
#include "svcmap/timeparse.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "svcmap/util.h"

/* The last second whose nanoseconds fit in an int64_t: 2262-04-11T23:47:16Z. */
#define MAX_SECONDS (INT64_MAX / 1000000000)

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly width digits at *p into *out and advances *p; -1 if any is missing. */
static int digits(const char **p, int width, int *out)
{
    int v = 0, i;

    for (i = 0; i < width; i++) {
        if (!is_digit((*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += width;
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

/* Seconds and nanoseconds since the epoch into *ns, if they fit. */
static int combine(int64_t seconds, int64_t frac_ns, int64_t *ns)
{
    if (seconds < 0 || seconds > MAX_SECONDS)
        return -1;
    if (seconds == MAX_SECONDS && frac_ns > INT64_MAX - MAX_SECONDS * 1000000000)
        return -1;
    *ns = seconds * 1000000000 + frac_ns;
    return 0;
}

static int parse_rfc3339(const char *p, int64_t *ns)
{
    int y, mo, d, h = 0, mi = 0, s = 0, oh, om;
    int64_t frac = 0, offset_s = 0, seconds;

    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
            digits(&p, 2, &s))
            return -1;
        if (h > 23 || mi > 59 || s > 60) /* 60: a leap second */
            return -1;
        if (*p == '.') {
            int n = 0;

            p++;
            if (!is_digit(*p))
                return -1;
            for (; is_digit(*p); p++) {
                if (n < 9) {
                    frac = frac * 10 + (*p - '0');
                    n++;
                }
            }
            for (; n < 9; n++)
                frac *= 10;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '+' ? 1 : -1;

            if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
                return -1;
            offset_s = sign * (oh * 3600 + om * 60);
        } /* no offset: UTC, as svcmap always read it */
    }
    if (*p)
        return -1;
    seconds = sm_civil_to_unix(y, mo, d, h, mi, s) - offset_s;
    return combine(seconds, frac, ns);
}

static int parse_unix_seconds(const char *text, int64_t *ns)
{
    char *end;
    double v, whole;

    const char *p;

    /* a decimal number: no sign, no "inf", "nan" or hexadecimal */
    if (!is_digit(text[0]))
        return -1;
    for (p = text; *p; p++) {
        if (!is_digit(*p) && *p != '.' && *p != 'e' && *p != 'E' && *p != '+' && *p != '-')
            return -1;
    }
    errno = 0;
    v = strtod(text, &end);
    if (errno || *end || !isfinite(v) || v < 0 || v >= (double)MAX_SECONDS)
        return -1;
    whole = floor(v);
    return combine((int64_t)whole, (int64_t)((v - whole) * 1e9), ns);
}

int sm_time_parse(const char *text, int64_t *ns)
{
    const char *p = text;
    int n = 0;

    /* "DDDD-": a date; anything else must be Unix seconds */
    while (is_digit(p[n]) && n < 5)
        n++;
    if (n == 4 && p[4] == '-')
        return parse_rfc3339(text, ns);
    return parse_unix_seconds(text, ns);
}
