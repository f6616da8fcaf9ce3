/* error.c: filling and formatting struct sm_error.
 *
 * Messages follow git's style: lowercase, no full stop, the problem first.
 */
#include "svcmap/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sm_error_init(struct sm_error *err)
{
    /* field by field, the strings by their first byte: the readers clear one per record,
     * and the whole struct (almost 800 bytes) was 0.7 % of a run */
    err->status = 0;
    err->file[0] = '\0';
    err->line = 0;
    err->column = 0;
    err->offset = -1;
    err->text[0] = '\0';
}

int sm_error_set(struct sm_error *err, int status, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return status;
    err->status = status;
    err->line = 0;
    err->column = 0;
    err->offset = -1;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
    va_end(ap);
    return status;
}

int sm_error_at(struct sm_error *err, int status, const char *file, long line, long column,
                long long offset, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return status;
    err->status = status;
    if (file)
        snprintf(err->file, sizeof(err->file), "%s", file);
    err->line = line;
    err->column = column;
    err->offset = offset;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
    va_end(ap);
    return status;
}

void sm_error_format(const struct sm_error *err, char *buf, size_t size)
{
    if (!err->file[0])
        snprintf(buf, size, "%s", err->text);
    else if (err->line > 0 && err->column > 0)
        snprintf(buf, size, "%s:%ld:%ld: %s", err->file, err->line, err->column, err->text);
    else if (err->line > 0)
        snprintf(buf, size, "%s:%ld: %s", err->file, err->line, err->text);
    else if (err->offset >= 0)
        snprintf(buf, size, "%s: byte %lld: %s", err->file, err->offset, err->text);
    else
        snprintf(buf, size, "%s: %s", err->file, err->text);
}

int sm_status_exit_code(int status)
{
    switch (status) {
    case SM_OK:
        return 0;
    case SM_EGATE:
        return 1;
    case SM_EUSAGE:
        return 2;
    case SM_EINPUT:
        return 3;
    default:
        return 4;
    }
}
