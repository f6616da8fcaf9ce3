/* inject.c: replacing the generated block between svcmap markers in a Markdown file.
 *
 * The document is searched as bytes (it need not be valid UTF-8 or end with a newline):
 * exactly one begin marker and exactly one end marker after it must be present. The
 * result is the bytes up to the end of the begin marker, the new block, and the bytes
 * from the start of the end marker on, so nothing outside the block can change.
 */
#include "svcmap/inject.h"

#include <stdio.h>
#include <string.h>

int sm_inject_name_ok(const char *name)
{
    size_t i;

    for (i = 0; name[i]; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return i > 0 && i <= 64;
}

/* Finds needle in hay (both with lengths); NULL if absent. */
static const char *find(const char *hay, size_t len, const char *needle, size_t nlen)
{
    size_t i;

    if (nlen > len)
        return NULL;
    for (i = 0; i + nlen <= len; i++) {
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, nlen))
            return hay + i;
    }
    return NULL;
}

static long line_of(const char *doc, const char *at)
{
    long line = 1;

    for (; doc < at; doc++) {
        if (*doc == '\n')
            line++;
    }
    return line;
}

int sm_inject(const char *doc, size_t len, const char *name, const char *block, size_t block_len,
              struct sm_buf *out, struct sm_error *err)
{
    char begin_mark[96], end_mark[96];
    size_t blen, elen;
    const char *begin, *end, *again;

    if (!sm_inject_name_ok(name))
        return sm_error_set(err, SM_EUSAGE,
                            "block name '%s' is not 1-64 letters, digits, '.', '_' or '-'", name);
    blen = (size_t)snprintf(begin_mark, sizeof(begin_mark), "<!-- svcmap:begin %s -->", name);
    elen = (size_t)snprintf(end_mark, sizeof(end_mark), "<!-- svcmap:end %s -->", name);

    begin = find(doc, len, begin_mark, blen);
    if (!begin)
        return sm_error_at(err, SM_EINPUT, NULL, 0, 0, -1, "no '%s' marker", begin_mark);
    again = find(begin + blen, len - (size_t)(begin + blen - doc), begin_mark, blen);
    if (again)
        return sm_error_at(err, SM_EINPUT, NULL, line_of(doc, again), 0, -1,
                           "'%s' appears a second time (first on line %ld)", begin_mark,
                           line_of(doc, begin));
    end = find(doc, len, end_mark, elen);
    if (!end)
        return sm_error_at(err, SM_EINPUT, NULL, 0, 0, -1, "no '%s' marker after line %ld",
                           end_mark, line_of(doc, begin));
    again = find(end + elen, len - (size_t)(end + elen - doc), end_mark, elen);
    if (again)
        return sm_error_at(err, SM_EINPUT, NULL, line_of(doc, again), 0, -1,
                           "'%s' appears a second time (first on line %ld)", end_mark,
                           line_of(doc, end));
    if (end < begin + blen)
        return sm_error_at(err, SM_EINPUT, NULL, line_of(doc, end), 0, -1,
                           "'%s' comes before '%s' (line %ld)", end_mark, begin_mark,
                           line_of(doc, begin));

    sm_buf_add(out, doc, (size_t)(begin + blen - doc));
    sm_buf_addc(out, '\n');
    sm_buf_add(out, block, block_len);
    if (block_len > 0 && block[block_len - 1] != '\n')
        sm_buf_addc(out, '\n');
    sm_buf_add(out, end, len - (size_t)(end - doc));
    return 0;
}
